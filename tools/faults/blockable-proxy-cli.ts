import { BlockableProxy } from '@parley/testing/blockable-proxy';

/**
 * `node dist/tools/faults/blockable-proxy-cli.js <upstream host> <upstream port>`: starts a
 * BlockableProxy, prints `{"port":…,"controlUrl":"…"}` as its first line, and runs until its
 * standard input closes (the process that started it ended, whatever way) or it gets SIGTERM.
 */
async function main(): Promise<void> {
  const [host, port] = process.argv.slice(2);
  if (!host || !Number.isInteger(Number(port))) {
    process.stderr.write('usage: blockable-proxy-cli <upstream host> <upstream port>\n');
    process.exit(2);
  }
  const proxy = new BlockableProxy(host, Number(port));
  await proxy.start();
  const stop = () => void proxy.close().finally(() => process.exit(0));
  process.stdin.on('end', stop).on('error', stop).resume();
  process.on('SIGTERM', stop);
  process.stdout.write(`${JSON.stringify({ port: proxy.port, controlUrl: proxy.controlUrl })}\n`);
}

void main();
