import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOPIC_SPECS } from './topics';

describe('docs/ARCHITECTURE.md', () => {
  const doc = readFileSync(join(__dirname, '../../../../docs/ARCHITECTURE.md'), 'utf8');

  it.each(TOPIC_SPECS.map((s) => [s.name, s] as const))(
    'describes topic %s with its partitions and consumer groups',
    (name, spec) => {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${name}\``));
      expect(row).toBeDefined();
      const cells = (row ?? '').split('|').map((c) => c.trim());
      expect(cells[3]).toBe(String(spec.partitions));
      for (const group of spec.consumerGroups) expect(cells[5]).toContain(group);
    },
  );
});
