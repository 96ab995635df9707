import {
  type DeliveryBatch,
  DeliveryRouter,
  DeviceLocationsRepository,
  RedisChannels,
  RedisKeys,
  redisKeyPrefix,
} from '@parley/common';
import { ErrorCode } from '@parley/protocol';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DeliveryPublisher } from './delivery.publisher';
import { RouteMemory } from './route-memory';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/14';

describe('DeliveryPublisher with remembered routes (real Redis)', () => {
  const cluster = `pubspec-${process.pid}`;
  const [alice, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
  const since = new Date().toISOString();
  const laptop = { userId: alice, connectionId: randomUUID(), deviceId: 'laptop', since };
  const phone = { userId: bob, connectionId: randomUUID(), deviceId: 'phone', since };
  let redis: Redis;
  let subscriber: Redis;
  let locations: DeviceLocationsRepository;
  let publisher: DeliveryPublisher;
  let received: { channel: string; batch: DeliveryBatch }[];

  const batch = (label: string): DeliveryBatch => ({
    version: 1,
    items: [],
    refusals: [
      {
        connectionId: laptop.connectionId,
        clientMsgId: label,
        code: ErrorCode.Forbidden,
        message: '',
      },
    ],
  });
  const labels = () => received.map((r) => r.batch.refusals?.[0]?.clientMsgId);
  const boxes = (label: string) => new Map([['g-1', batch(label)]]);

  /** The routes of a look-up of alice, bob and carol, remembered, and recalled. */
  async function recall() {
    const memory = new RouteMemory();
    memory.learn(await new DeliveryRouter(locations).route([alice, bob, carol]));
    const recalled = memory.recall([alice, bob, carol]);
    if (!recalled) throw new Error('not remembered');
    return recalled;
  }

  /** Publishes a marker without a check and waits for it: every publish before it has arrived. */
  async function settle() {
    await publisher.publish(boxes('marker'));
    for (let i = 0; i < 200 && !labels().includes('marker'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  beforeEach(async () => {
    redis = new Redis(REDIS_URL, { keyPrefix: redisKeyPrefix(cluster) });
    subscriber = new Redis(REDIS_URL);
    received = [];
    subscriber.on('message', (channel: string, payload: string) =>
      received.push({ channel, batch: JSON.parse(payload) as DeliveryBatch }),
    );
    await subscriber.subscribe(
      RedisChannels.delivery(cluster, 'g-1'),
      RedisChannels.channelDeliveries(cluster),
    );
    locations = new DeviceLocationsRepository(redis);
    publisher = new DeliveryPublisher(redis, { PARLEY_CLUSTER_ID: cluster });
    await locations.apply(
      [
        { ...laptop, gatewayId: 'g-1' },
        { ...phone, gatewayId: 'g-2' },
      ],
      [],
    );
    await redis.set(RedisKeys.gateway('g-1'), '{}', 'PX', 60_000);
    await redis.set(RedisKeys.gateway('g-2'), '{}', 'PX', 60_000);
  });
  afterEach(async () => {
    await redis.del(
      ...[alice, bob, carol].map((id) => RedisKeys.userConnections(id)),
      RedisKeys.gateway('g-1'),
      RedisKeys.gateway('g-2'),
    );
    await Promise.all([redis.quit(), subscriber.quit()]);
  });

  it('remembers what the look-up read, offline users too, and the gateways it routes to', async () => {
    const { routable, check } = await recall();
    expect(routable.get(alice)?.map((c) => c.gatewayId)).toEqual(['g-1']);
    expect(routable.get(carol)).toEqual([]);
    expect(check.users.map((u) => [u.userId, u.held.length])).toEqual([
      [alice, 2],
      [bob, 2],
      [carol, 0],
    ]);
    expect(check.users[0].held[0]).toBe(laptop.connectionId);
    expect([...check.gateways].sort()).toEqual(['g-1', 'g-2']);
  });

  it('publishes in the one call that checks the routes, when they still hold', async () => {
    const { check } = await recall();
    await expect(publisher.publish(boxes('checked'), [], {}, check)).resolves.toBe(true);
    await settle();
    expect(labels()).toEqual(['checked', 'marker']);
  });

  it('still publishes after Redis forgot its scripts (a restart)', async () => {
    const { check } = await recall();
    await redis.script('FLUSH');
    await expect(publisher.publish(boxes('checked'), [], {}, check)).resolves.toBe(true);
    await settle();
    expect(labels()).toEqual(['checked', 'marker']);
  });

  const moves: [string, () => Promise<unknown>][] = [
    [
      'a socket opened',
      () => locations.apply([{ ...phone, connectionId: randomUUID(), gatewayId: 'g-1' }], []),
    ],
    [
      'a socket closed',
      () => locations.apply([], [{ userId: bob, connectionId: phone.connectionId }]),
    ],
    [
      'an offline user came online',
      () => locations.apply([{ ...phone, userId: carol, gatewayId: 'g-1' }], []),
    ],
    ['a socket’s entry changed', () => locations.apply([{ ...laptop, gatewayId: 'g-2' }], [])],
    ['a gateway left the directory', () => redis.del(RedisKeys.gateway('g-2'))],
  ];
  it.each(moves)(
    'publishes nothing of the boxes’ batches, and says so, when %s; the rest goes',
    async (_move, move) => {
      const { check } = await recall();
      await move();
      const channels: DeliveryBatch = {
        version: 1,
        items: [],
        refusals: batch('channels').refusals,
      };
      await expect(publisher.publish(boxes('checked'), [], { channels }, check)).resolves.toBe(
        false,
      );
      await settle();
      expect(labels()).toEqual(['channels', 'marker']);
      expect(received[0].channel).toBe(RedisChannels.channelDeliveries(cluster));
    },
  );
});
