import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_FRAME_TYPES } from './frames/client-frames';
import { SERVER_FRAME_TYPES } from './frames/server-frames';
import { HTTP_ROUTES } from './http/routes';

/**
 * docs/PROTOCOL.md describes exactly what the protocol library defines: every frame type in each
 * direction's table (and no other), and every HTTP route.
 */
const doc = readFileSync(join(__dirname, '../../../docs/PROTOCOL.md'), 'utf8');

/** The backticked names in the first column of the table under `heading`. */
function frameTable(heading: string): string[] {
  const start = doc.indexOf(`### ${heading}`);
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = doc.slice(start + heading.length + 4);
  const end = rest.search(/\n#{2,3} /);
  const section = end < 0 ? rest : rest.slice(0, end);
  return section
    .split('\n')
    .map((line) => /^\| `([^`]+)` /.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

describe('docs/PROTOCOL.md against libs/protocol', () => {
  it('names the protocol library as the source of truth', () => {
    expect(doc).toContain('libs/protocol');
  });

  it('lists every client frame type, and no other', () => {
    expect(frameTable('Client → server').sort()).toEqual([...CLIENT_FRAME_TYPES].sort());
  });

  it('lists every server frame type, and no other', () => {
    expect(frameTable('Server → client').sort()).toEqual([...SERVER_FRAME_TYPES].sort());
  });

  it.each(HTTP_ROUTES.map((r) => [r.method, r.path] as const))(
    'describes %s %s',
    (method, path) => {
      const written = path.replace(/\{(\w+)\}/g, ':$1');
      expect(doc).toMatch(
        new RegExp(`${method} ${written.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`),
      );
    },
  );
});
