import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { DeviceLocationsRepository } from './device-locations.repository';
import { RedisKeys, redisKeyPrefix } from './redis-values';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/14';

describe('DeviceLocationsRepository (real Redis)', () => {
  let redis: Redis;
  let locations: DeviceLocationsRepository;
  const cluster = `locspec-${process.pid}`;
  const [alice, bob] = [randomUUID(), randomUUID()];
  const gateways = ['g-live', 'g-dead', 'g-other'];

  beforeEach(() => {
    redis = new Redis(REDIS_URL, { keyPrefix: redisKeyPrefix(cluster) });
    locations = new DeviceLocationsRepository(redis);
  });
  afterEach(async () => {
    await redis.del(
      RedisKeys.userConnections(alice),
      RedisKeys.userConnections(bob),
      ...gateways.map((g) => RedisKeys.gateway(g)),
    );
    await redis.quit();
  });

  it('reads the users’ sockets and which of the gateways asked about are live, in one call', async () => {
    const since = new Date().toISOString();
    await locations.apply(
      [
        { userId: alice, connectionId: 'c-1', deviceId: 'laptop', gatewayId: 'g-live', since },
        { userId: alice, connectionId: 'c-2', deviceId: 'phone', gatewayId: 'g-dead', since },
      ],
      [],
    );
    await redis.hset(RedisKeys.userConnections(bob), 'c-3', 'not json');
    await redis.set(RedisKeys.gateway('g-live'), '{}', 'PX', 60_000);
    await redis.set(RedisKeys.gateway('g-other'), '{}', 'PX', 60_000);

    const { connections, live } = await locations.findConnectionsAndLive(
      [alice, bob],
      ['g-live', 'g-dead', 'g-other'],
    );
    expect(
      connections
        .get(alice)
        ?.map((c) => [c.connectionId, c.gatewayId])
        .sort(),
    ).toEqual([
      ['c-1', 'g-live'],
      ['c-2', 'g-dead'],
    ]);
    expect(connections.get(bob)).toEqual([]); // the unreadable entry is dropped
    expect([...live].sort()).toEqual(['g-live', 'g-other']);
    expect(await locations.liveGateways(['g-dead', 'g-live'])).toEqual(new Set(['g-live']));
  });

  it('answers nothing for nothing asked', async () => {
    const { connections, live } = await locations.findConnectionsAndLive([], []);
    expect(connections.size).toBe(0);
    expect(live.size).toBe(0);
  });
});
