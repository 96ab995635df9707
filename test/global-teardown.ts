/** Stops what the global set-up started (the Kafka broker only if this run started it). */
export default async function globalTeardown(): Promise<void> {
  const stack = globalThis.__PARLEY_STACK__;
  if (stack) await stack.stop();
  await globalThis.__PARLEY_STORAGE_DB_PROXY__?.close();
}
