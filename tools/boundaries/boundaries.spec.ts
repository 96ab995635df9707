import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The architecture rules (.dependency-cruiser.cjs, run by `npm run lint`) catch what they say:
 * a fixture tree holding one violation per rule is checked with the real configuration, and every
 * rule must report; the same tree without the violations must pass.
 */
const ROOT = join(__dirname, '..', '..');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');

const TSCONFIG = {
  compilerOptions: {
    module: 'commonjs',
    moduleResolution: 'node',
    baseUrl: './',
    paths: {
      '@parley/protocol': ['libs/protocol/src'],
      '@parley/client': ['libs/client/src'],
      '@parley/common': ['libs/common/src'],
    },
  },
};

/** Files every fixture has: a small Parley-shaped tree that follows the rules. */
const CLEAN: Record<string, string> = {
  'libs/protocol/src/index.ts': 'export const PROTOCOL_VERSION = 1;\n',
  'libs/client/src/index.ts':
    "import { PROTOCOL_VERSION } from '@parley/protocol';\nexport const v = PROTOCOL_VERSION;\n",
  'libs/client/src/node/ws-socket.ts':
    "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
  'libs/common/src/index.ts':
    "import { PROTOCOL_VERSION } from '@parley/protocol';\nimport { readFileSync } from 'node:fs';\nexport const c = [PROTOCOL_VERSION, readFileSync];\n",
  'apps/gateway/src/main.ts':
    "import { c } from '@parley/common';\nimport { helper } from './helper';\nexport const g = [c, helper];\n",
  'apps/gateway/src/helper.ts': 'export const helper = 1;\n',
  'apps/storage/src/main.ts': "import { c } from '@parley/common';\nexport const s = c;\n",
  'apps/cli/src/main.ts':
    "import { v } from '@parley/client';\nimport { r } from '@parley/client/node/ws-socket';\nimport { PROTOCOL_VERSION } from '@parley/protocol';\nexport const m = [v, r, PROTOCOL_VERSION];\n",
  'tools/loadtest/main.ts': "import { v } from '@parley/client';\nexport const l = v;\n",
};

/** One violation per rule: the file, its content, and the rule it breaks. */
const VIOLATIONS: { rule: string; file: string; content: string }[] = [
  {
    rule: 'app-imports-another-app',
    file: 'apps/gateway/src/bad-app.ts',
    content: "import { s } from '../../storage/src/main';\nexport const x = s;\n",
  },
  {
    rule: 'lib-imports-app',
    file: 'libs/common/src/bad-lib.ts',
    content: "import { g } from '../../../apps/gateway/src/main';\nexport const x = g;\n",
  },
  {
    rule: 'lib-imports-tool',
    file: 'libs/common/src/bad-tool.ts',
    content: "import { l } from '../../../tools/loadtest/main';\nexport const x = l;\n",
  },
  {
    rule: 'client-imports-server-code',
    file: 'apps/cli/src/bad-client.ts',
    content: "import { c } from '@parley/common';\nexport const x = c;\n",
  },
  {
    rule: 'protocol-stays-pure',
    file: 'libs/protocol/src/bad-protocol.ts',
    content: "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
  },
  {
    rule: 'client-lib-is-browser-safe',
    file: 'libs/client/src/bad-client-lib.ts',
    content: "import { c } from '@parley/common';\nexport const x = c;\n",
  },
  {
    rule: 'browser-code-avoids-node-sockets',
    file: 'libs/client/src/bad-browser.ts',
    content: "import { r } from './node/ws-socket';\nexport const x = r;\n",
  },
  {
    rule: 'no-circular',
    file: 'apps/gateway/src/cycle-a.ts',
    content: "import { b } from './cycle-b';\nexport const a = () => b;\n",
  },
];
const CYCLE_PARTNER = {
  'apps/gateway/src/cycle-b.ts': "import { a } from './cycle-a';\nexport const b = () => a;\n",
};

function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-boundaries-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** The rules depcruise reports on `dir` with Parley's configuration. */
function violatedRules(dir: string): string[] {
  const run = spawnSync(
    DEPCRUISE,
    [
      'apps',
      'libs',
      'tools',
      '--config',
      join(ROOT, '.dependency-cruiser.cjs'),
      '--output-type',
      'json',
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  const result = JSON.parse(run.stdout) as {
    summary: { violations: { rule: { name: string } }[] };
  };
  return [...new Set(result.summary.violations.map((v) => v.rule.name))].sort();
}

describe('architecture rules (.dependency-cruiser.cjs)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('let a tree that follows them pass', () => {
    const dir = fixture(CLEAN);
    dirs.push(dir);
    expect(violatedRules(dir)).toEqual([]);
  });

  it('catch one violation of each rule', () => {
    const files: Record<string, string> = { ...CLEAN, ...CYCLE_PARTNER };
    for (const v of VIOLATIONS) files[v.file] = v.content;
    const dir = fixture(files);
    dirs.push(dir);
    expect(violatedRules(dir)).toEqual(VIOLATIONS.map((v) => v.rule).sort());
  });
});
