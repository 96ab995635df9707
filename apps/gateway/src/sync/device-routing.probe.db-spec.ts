import { RedisKeys, redisKeyPrefix } from '@parley/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { ClientConnection } from '../realtime/client-connection';
import { DeviceRoutingProbe } from './device-routing.probe';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/14';

/** The parts of a socket the probe reads. */
function socket(): ClientConnection & { isOpen: boolean } {
  return {
    id: randomUUID(),
    userId: randomUUID(),
    isOpen: true,
    opened: Promise.resolve(),
  } as unknown as ClientConnection & { isOpen: boolean };
}

describe('DeviceRoutingProbe (real Redis)', () => {
  let redis: Redis;
  let probe: DeviceRoutingProbe;
  const routed: string[] = [];
  const route = (c: ClientConnection) => {
    routed.push(RedisKeys.userConnections(c.userId));
    return redis.hset(RedisKeys.userConnections(c.userId), c.id, '{}');
  };

  beforeEach(() => {
    redis = new Redis(REDIS_URL, { keyPrefix: redisKeyPrefix(`probespec-${process.pid}`) });
    probe = new DeviceRoutingProbe(redis, { SYNC_ROUTABLE_WAIT_MS: 100 });
  });
  afterEach(async () => {
    if (routed.length > 0) await redis.del(...routed.splice(0));
    redis.disconnect();
  });

  it('answers at once for a routed socket, and false after the wait for one nobody routes', async () => {
    const known = socket();
    await route(known);
    expect(await probe.waitRoutable(known)).toBe(true);
    expect(await probe.waitRoutable(socket())).toBe(false);
  });

  it('follows a socket that synced anyway until session routes to it, then says so once', async () => {
    const phone = socket();
    expect(await probe.waitRoutable(phone)).toBe(false);
    let told = 0;
    const routable = new Promise<void>((resolve) =>
      probe.followUntilRoutable(phone, () => {
        told += 1;
        resolve();
      }),
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(told).toBe(0);
    await route(phone); // session consumed connection.opened at last
    await routable;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(told).toBe(1);
  });

  it('stops following a socket that closed', async () => {
    const phone = socket();
    let told = 0;
    probe.followUntilRoutable(phone, () => (told += 1));
    phone.isOpen = false;
    await route(phone);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(told).toBe(0);
  });
});
