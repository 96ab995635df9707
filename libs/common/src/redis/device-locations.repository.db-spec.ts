import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { DeviceLocationsRepository, ROUTES_USERS_PER_CALL } from './device-locations.repository';
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

    const { connections, live, held } = await locations.findConnectionsAndLive(
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
    // The hashes as Redis holds them, unreadable entries too: what a checked publish compares.
    expect(held.get(bob)).toEqual(['c-3', 'not json']);
    expect(
      held
        .get(alice)
        ?.filter((_, i) => i % 2 === 0)
        .sort(),
    ).toEqual(['c-1', 'c-2']);
    expect([...live].sort()).toEqual(['g-live', 'g-other']);
    expect(await locations.liveGateways(['g-dead', 'g-live'])).toEqual(new Set(['g-live']));
  });

  it('answers nothing for nothing asked', async () => {
    const { connections, live } = await locations.findConnectionsAndLive([], []);
    expect(connections.size).toBe(0);
    expect(live.size).toBe(0);
  });

  it('reads a group larger than one script call in full, and the gateways once', async () => {
    const since = new Date().toISOString();
    const many = Array.from({ length: ROUTES_USERS_PER_CALL * 2 + 7 }, () => randomUUID());
    await locations.apply(
      many.map((userId, i) => ({
        userId,
        connectionId: `c-${i}`,
        deviceId: 'phone',
        gatewayId: i % 2 === 0 ? 'g-live' : 'g-other',
        since,
      })),
      [],
    );
    await redis.set(RedisKeys.gateway('g-live'), '{}', 'PX', 60_000);
    try {
      const { connections, live } = await locations.findConnectionsAndLive(many, [
        'g-live',
        'g-dead',
      ]);
      expect(connections.size).toBe(many.length);
      many.forEach((userId, i) =>
        expect(connections.get(userId)).toEqual([
          {
            userId,
            connectionId: `c-${i}`,
            deviceId: 'phone',
            gatewayId: i % 2 === 0 ? 'g-live' : 'g-other',
            since,
          },
        ]),
      );
      expect([...live]).toEqual(['g-live']);
    } finally {
      await redis.del(...many.map((id) => RedisKeys.userConnections(id)));
    }
  });

  it('still answers after Redis forgot its scripts (a restart), and reads a changed socket anew', async () => {
    const since = new Date().toISOString();
    const socket = { userId: alice, connectionId: 'c-1', deviceId: 'laptop', since };
    await locations.apply([{ ...socket, gatewayId: 'g-live' }], []);
    expect((await locations.findConnectionsAndLive([alice], [])).connections.get(alice)).toEqual([
      { ...socket, gatewayId: 'g-live' },
    ]);
    await redis.script('FLUSH');
    // The same socket id moved to another gateway: the new entry is read, not the one parsed before.
    await locations.apply([{ ...socket, gatewayId: 'g-other' }], []);
    expect((await locations.findConnectionsAndLive([alice], [])).connections.get(alice)).toEqual([
      { ...socket, gatewayId: 'g-other' },
    ]);
  });
});
