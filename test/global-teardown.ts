/** Stops what the global set-up started (the Kafka broker only if this run started it). */
export default async function globalTeardown(): Promise<void> {
  const stack = globalThis.__PARLEY_STACK__;
  if (stack) await stack.stop();
  for (const proxy of globalThis.__PARLEY_PROXIES__ ?? []) {
    if (proxy.exitCode === null && proxy.signalCode === null) {
      const exited = new Promise((resolve) => proxy.once('exit', resolve));
      proxy.kill('SIGTERM');
      await exited;
    }
    // Its pipes are handles of this process: closed, so nothing keeps the test run alive.
    proxy.stdin?.destroy();
    proxy.stdout?.destroy();
  }
  await globalThis.__PARLEY_S3PROXY__?.stop();
}
