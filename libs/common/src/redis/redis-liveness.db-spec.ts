import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { BlockableProxy } from '@parley/testing';
import { watchRedisLiveness } from './redis-liveness';

const REDIS_URL = new URL(process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/14');
const EVERY_MS = 200;

/** Rejects if `promise` has not settled after `ms`: a bound on liveness, not a timing. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe('watchRedisLiveness (real Redis behind a proxy that stalls)', () => {
  let proxy: BlockableProxy;
  let connection: Redis;
  /** Straight to Redis: the proxy runs in this process, so a busy test would stall it too. */
  let direct: Redis;
  let counted = { closes: 0 };
  const warnings: unknown[] = [];
  const logger = new Logger('spec');

  beforeEach(async () => {
    proxy = new BlockableProxy(REDIS_URL.hostname, Number(REDIS_URL.port || 6379));
    await proxy.start();
    warnings.length = 0;
    jest.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(args);
    });
    connection = new Redis({
      host: '127.0.0.1',
      port: proxy.port,
      db: Number(REDIS_URL.pathname.slice(1) || 0),
      lazyConnect: true,
    });
    direct = new Redis(REDIS_URL.toString(), { lazyConnect: true });
    // Counted per test: a connection of the last test may still be closing.
    const mine = { closes: 0 };
    counted = mine;
    for (const c of [connection, direct]) c.on('close', () => mine.closes++);
    await Promise.all([connection.connect(), direct.connect()]);
  });

  afterEach(async () => {
    connection.disconnect();
    direct.disconnect();
    await proxy.close();
  });

  it('drops a connection that stopped answering, and what was sent into the stall is answered once it has reconnected', async () => {
    watchRedisLiveness(connection, EVERY_MS, logger, 'spec');
    const key = `liveness-spec:${randomUUID()}`;
    await connection.set(key, 'kept', 'PX', 60_000);

    proxy.stall();
    // Sent into the stalled socket: without the watch it waits for TCP's keep-alive (hours).
    const answer = connection.get(key);

    await expect(within(answer, 40 * EVERY_MS, 'the GET')).resolves.toBe('kept');
    expect(counted.closes).toBe(1);
    expect(warnings).toHaveLength(1);
    await connection.del(key);
  });

  it('does not take a process that was busy past the deadline for a stalled connection', async () => {
    watchRedisLiveness(direct, EVERY_MS, logger, 'spec');
    // Same period, made right after the watch: each run comes just after a PING was sent, and
    // every other one keeps the event loop busy for three deadlines, with the answer in the socket.
    let runs = 0;
    const blocker = setInterval(() => {
      if (runs++ % 2 === 1) return;
      const until = Date.now() + 3 * EVERY_MS;
      while (Date.now() < until) {
        // busy
      }
    }, EVERY_MS);
    try {
      while (runs < 8) await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
    } finally {
      clearInterval(blocker);
    }

    expect(await direct.ping()).toBe('PONG');
    expect(counted.closes).toBe(0);
    expect(warnings).toEqual([]);
  });
});
