import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatewayEnvSchema } from '../../apps/gateway/src/config/gateway.config';
import { presenceEnvSchema } from '../../apps/presence/src/config/presence.config';
import { sessionEnvSchema } from '../../apps/session/src/config/session.config';
import { storageEnvSchema } from '../../apps/storage/src/config/storage.config';

/**
 * README.md's "Configuration" table must document every service's environment as its zod schema
 * reads it: every schema key has a row, each row names exactly the services whose schema has the
 * variable, and no row names a variable that nothing reads. Adding a variable to a schema without
 * a README row fails here.
 */
const ROOT = join(__dirname, '..', '..');

/**
 * The keys each service's env schema reads. The gateway's schema is an object with a refinement
 * and a transform (defaults that depend on other variables): its keys are those of the object the
 * transform takes in.
 */
const SERVICE_KEYS = {
  gateway: Object.keys(gatewayEnvSchema.in.shape),
  session: Object.keys(sessionEnvSchema.shape),
  presence: Object.keys(presenceEnvSchema.shape),
  storage: Object.keys(storageEnvSchema.shape),
};
type Service = keyof typeof SERVICE_KEYS;
const SERVICES = Object.keys(SERVICE_KEYS) as Service[];

interface Row {
  line: number;
  variables: string[];
  /** The services the row's "used by" cell names, per variable. */
  usedBy: Map<string, Service[]>;
}

/** `a | b | c` -> cells (an escaped `\|` stays inside its cell, as in GitHub's tables). */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** "all" -> every service; "gateway, presence, storage" -> those; any other word throws. */
function services(cell: string, line: number): Service[] {
  if (cell === 'all') return [...SERVICES];
  return cell.split(',').map((word) => {
    const name = word.trim();
    if (!(SERVICES as string[]).includes(name))
      throw new Error(
        `README.md:${line}: "used by" names "${name}", not one of ${SERVICES.join(', ')} or "all"`,
      );
    return name as Service;
  });
}

/**
 * The rows of README.md's "## Configuration" table. The first cell lists variables in backticks
 * (`A`, `B`: the "used by" cell applies to each; `A` / `B` / `C` with a "used by" cell of as many
 * `/`-separated parts: the parts apply in order).
 */
function readmeTable(): Row[] {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trim() === '## Configuration');
  if (start < 0) throw new Error('README.md has no "## Configuration" section');
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  const section = lines
    .slice(start, end < 0 ? undefined : end)
    .map((text, i) => ({ text, line: start + i + 1 }));
  const first = section.findIndex((l) => l.text.trim().startsWith('|'));
  if (first < 0) throw new Error('README.md "## Configuration" has no table');
  const table: typeof section = [];
  for (const l of section.slice(first)) {
    if (!l.text.trim().startsWith('|')) break;
    table.push(l);
  }
  const [header, separator, ...body] = table;
  const columns = cells(header.text).map((c) => c.toLowerCase());
  if (columns.join(' | ') !== 'variable | used by | default')
    throw new Error(`README.md:${header.line}: expected columns variable | used by | default`);
  if (separator === undefined || !cells(separator.text).every((c) => /^:?-+:?$/.test(c)))
    throw new Error(`README.md:${header.line}: the table's header is not followed by |---|`);
  return body.map(({ text, line }) => {
    const [variableCell, usedByCell, defaultCell, ...extra] = cells(text);
    if (extra.length > 0 || defaultCell === undefined || defaultCell === '')
      throw new Error(`README.md:${line}: a row needs exactly variable, used by and default`);
    const parts = variableCell.split(' / ');
    const usedByParts = usedByCell.split(' / ');
    const positional = parts.length > 1 && usedByParts.length === parts.length;
    const usedBy = new Map<string, Service[]>();
    const variables: string[] = [];
    parts.forEach((part, i) => {
      // Nothing but backticked names separated by commas.
      if (!/^`[^`]+`(, `[^`]+`)*$/.test(part))
        throw new Error(`README.md:${line}: the variable cell must list \`NAMES\`: ${part}`);
      for (const [, name] of part.matchAll(/`([^`]+)`/g)) {
        if (!/^[A-Z][A-Z0-9_]*$/.test(name))
          throw new Error(`README.md:${line}: "${name}" is not a variable name`);
        variables.push(name);
        usedBy.set(name, services(positional ? usedByParts[i] : usedByCell, line));
      }
    });
    return { line, variables, usedBy };
  });
}

describe('README.md "Configuration" table matches the services\' env schemas', () => {
  const rows = readmeTable();
  const documented = new Map<string, Row>();
  for (const row of rows)
    for (const v of row.variables) {
      const earlier = documented.get(v);
      if (earlier !== undefined)
        throw new Error(`README.md: ${v} has two rows (lines ${earlier.line} and ${row.line})`);
      documented.set(v, row);
    }
  const schemaKeys = new Set(SERVICES.flatMap((s) => SERVICE_KEYS[s]));

  it('parses the table (every service has variables, the table has rows)', () => {
    expect(rows.length).toBeGreaterThan(10);
    for (const s of SERVICES) expect(SERVICE_KEYS[s].length).toBeGreaterThan(5);
  });

  it.each(SERVICES)('documents every variable of the %s schema', (service) => {
    const undocumented = SERVICE_KEYS[service].filter((k) => !documented.has(k));
    expect({ service, undocumented }).toEqual({ service, undocumented: [] });
  });

  it.each(SERVICES)('lists %s in "used by" of exactly its variables', (service) => {
    const keys = new Set(SERVICE_KEYS[service]);
    const notListed = [...keys].filter(
      (k) => documented.has(k) && !(documented.get(k)?.usedBy.get(k) ?? []).includes(service),
    );
    const listedButNotRead = [...documented.entries()]
      .filter(([v, row]) => row.usedBy.get(v)?.includes(service) && !keys.has(v))
      .map(([v]) => v);
    expect({ service, notListed, listedButNotRead }).toEqual({
      service,
      notListed: [],
      listedButNotRead: [],
    });
  });

  // The launcher's own PARLEY_* variables are described in the prose under the table, not in it.
  it('documents no variable that no service schema reads', () => {
    const unknown = [...documented.keys()].filter((v) => !schemaKeys.has(v));
    expect(unknown).toEqual([]);
  });
});
