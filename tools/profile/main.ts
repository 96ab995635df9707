/**
 * Reads a CPU profile of one process (`node --cpu-prof`) and prints where its busy time went:
 * self time by package or by function, or who calls a frame.
 *
 *   npm run profile -- <file.cpuprofile> [--last S] [--by place|function] [--callers REGEX]
 *                      [--depth N] [--top N]
 *
 * docs/LOADTEST.md "Profiles" says how to take them of the stack under load.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { callersOf, cpuProfileSchema, type ProfileSummary, summarise } from './cpu-profile';

function count(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} wants a positive number`);
  return n;
}

function print(summary: ProfileSummary, top: number): void {
  const busyShare = summary.samples === 0 ? 0 : (100 * summary.busy) / summary.samples;
  console.log(`${summary.samples} samples, ${summary.busy} busy (${busyShare.toFixed(1)}%)`);
  for (const row of summary.rows.slice(0, top)) {
    console.log(`${(100 * row.share).toFixed(1).padStart(5)}%  ${row.key}`);
  }
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      last: { type: 'string' },
      by: { type: 'string', default: 'place' },
      callers: { type: 'string' },
      depth: { type: 'string' },
      top: { type: 'string' },
    },
  });
  const [file] = positionals;
  if (!file || positionals.length > 1)
    throw new Error('usage: profile <file.cpuprofile> [options]');
  if (values.by !== 'place' && values.by !== 'function')
    throw new Error('--by is place or function');
  const profile = cpuProfileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  const lastSeconds = values.last === undefined ? undefined : count(values.last, 'last', 0);
  const top = count(values.top, 'top', 30);
  const summary =
    values.callers === undefined
      ? summarise(profile, { lastSeconds, by: values.by })
      : callersOf(profile, {
          lastSeconds,
          frame: new RegExp(values.callers),
          depth: count(values.depth, 'depth', 5),
        });
  print(summary, top);
}

try {
  main();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
}
