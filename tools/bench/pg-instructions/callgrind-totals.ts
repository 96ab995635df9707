/**
 * The instruction count (`Ir`) in a callgrind output file: its `totals:` line (or, in files
 * without one, `summary:`), read at the column `events:` gives `Ir`.
 */
export function callgrindInstructions(output: string): number {
  const events = /^events:[ \t]*(.+)$/m.exec(output)?.[1].trim().split(/\s+/);
  const column = events?.indexOf('Ir') ?? -1;
  if (column < 0) throw new Error('callgrind output: no events line naming Ir');
  const totals = (/^totals:[ \t]*(.+)$/m.exec(output) ?? /^summary:[ \t]*(.+)$/m.exec(output))?.[1];
  const value = totals?.trim().split(/\s+/)[column];
  if (value === undefined || !/^\d+$/.test(value)) {
    throw new Error('callgrind output: no totals for Ir');
  }
  return Number(value);
}

/**
 * Instructions per measured call: a run of the warm-up calls and `calls` more, less a run of the
 * warm-up calls alone (start-up, preparing and planning, the caches warmed), over `calls`.
 */
export function instructionsPerCall(warmUpOnly: number, withCalls: number, calls: number): number {
  if (!Number.isInteger(calls) || calls <= 0) throw new Error(`calls must be positive: ${calls}`);
  if (withCalls < warmUpOnly) {
    throw new Error(
      `the measured run counted fewer instructions (${withCalls}) than the warm-up alone (${warmUpOnly})`,
    );
  }
  return (withCalls - warmUpOnly) / calls;
}
