/** A positive integer from the command line, or the fallback when it was not given. */
export function positiveInt(arg: string | undefined, fallback: number): number {
  const n = Number(arg ?? fallback);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`not a positive integer: ${arg}`);
  return n;
}
