import { liveGatewaySchema, RedisKeys, redisKeyPrefix } from '@parley/common';
import Redis from 'ioredis';
import type { z } from 'zod/v4';
import { ticketGrantSchema } from './connect-ticket';
import { GatewayDirectoryReader, type TicketOnChoice } from './gateway-directory.reader';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/14';

/** The directory as session writes it: entry with a TTL, and the load index. */
async function list(
  redis: Redis,
  gatewayId: string,
  connections: number,
  ttlMs = 60_000,
): Promise<void> {
  const entry: z.input<typeof liveGatewaySchema> = {
    gatewayId,
    publicUrl: `ws://127.0.0.1/${gatewayId}/ws`,
    connections,
    startedAt: new Date().toISOString(),
    lastHeartbeatAt: new Date().toISOString(),
  };
  await redis.set(RedisKeys.gateway(gatewayId), JSON.stringify(entry), 'PX', ttlMs);
  await redis.zadd(RedisKeys.gatewaysByLoad, connections, gatewayId);
}

/** A connect ticket as `POST /v1/connect` stores it; 'g-self' answers when no gateway is live. */
function ticketOf(key: string): TicketOnChoice {
  return {
    key,
    grant: {
      userId: '8d3c32e2-c463-44b3-a6db-510848db924a',
      username: 'alice_1',
      deviceId: 'laptop-1',
      sessionId: '35c82507-4873-4b0b-a652-137f51e833df',
      expiresAt: 1_900_000_000,
      sync: 'v2',
    },
    ttlSeconds: 30,
    fallbackGatewayId: 'g-self',
  };
}

describe('GatewayDirectoryReader (real Redis)', () => {
  let redis: Redis;
  let directory: GatewayDirectoryReader;
  const cluster = `dirspec-${process.pid}`;

  beforeEach(async () => {
    redis = new Redis(REDIS_URL, { keyPrefix: redisKeyPrefix(cluster) });
    directory = new GatewayDirectoryReader(redis);
    await redis.del(RedisKeys.gatewaysByLoad, RedisKeys.gateway('g-1'), RedisKeys.gateway('g-2'));
  });
  const choose = (count: number, excluded: string[] = [], key = 'ticket:spec') =>
    directory.chooseAndIssue(count, excluded, ticketOf(key));
  /** The grant stored under `key`, as the gateway taking the ticket reads it. */
  const storedGrant = async (key = 'ticket:spec') =>
    ticketGrantSchema.parse(JSON.parse((await redis.get(key)) ?? 'null'));
  afterEach(async () => {
    await redis.del(
      RedisKeys.gatewaysByLoad,
      RedisKeys.gateway('g-1'),
      RedisKeys.gateway('g-2'),
      RedisKeys.gateway('g-3'),
      'ticket:spec',
    );
    await redis.quit();
  });

  it('answers the least loaded first, then backups, reserves one connection on the first, and stores the ticket naming them', async () => {
    await list(redis, 'g-1', 5);
    await list(redis, 'g-2', 2);
    await list(redis, 'g-3', 9);
    const chosen = await choose(3);
    expect(chosen.map((g) => g.gatewayId)).toEqual(['g-2', 'g-1', 'g-3']);
    expect(Number(await redis.zscore(RedisKeys.gatewaysByLoad, 'g-2'))).toBe(3);
    expect(Number(await redis.zscore(RedisKeys.gatewaysByLoad, 'g-1'))).toBe(5);
    expect(await storedGrant()).toEqual({
      ...ticketOf('ticket:spec').grant,
      gatewayId: 'g-2',
      backupGatewayIds: ['g-1', 'g-3'],
    });
    const ttl = await redis.ttl('ticket:spec');
    expect(ttl).toBeGreaterThan(25);
    expect(ttl).toBeLessThanOrEqual(30);
  });

  it('stores a ticket for the gateway answering when none is live, and one without backups for a lone gateway', async () => {
    expect(await choose(3)).toEqual([]);
    expect(await storedGrant()).toEqual({ ...ticketOf('ticket:spec').grant, gatewayId: 'g-self' });
    await list(redis, 'g-1', 0);
    await choose(3);
    const grant = await storedGrant();
    expect(grant.gatewayId).toBe('g-1');
    expect(grant).not.toHaveProperty('backupGatewayIds');
  });

  it('neither answers nor names an entry that is not a live gateway', async () => {
    await list(redis, 'g-1', 0);
    await list(redis, 'g-2', 1);
    await list(redis, 'g-3', 2);
    /** A directory entry as written, valid or not (listed in the load index already). */
    const entry = (id: string, value: string) =>
      redis.set(RedisKeys.gateway(id), value, 'PX', 60_000);
    // Not JSON, and JSON naming another gateway: the script skips both.
    await entry('g-1', 'not json');
    await entry('g-2', JSON.stringify({ gatewayId: 'g-9', publicUrl: 'ws://x/ws' }));
    expect((await choose(3)).map((g) => g.gatewayId)).toEqual(['g-3']);
    expect(await storedGrant()).toMatchObject({ gatewayId: 'g-3' });
    // JSON the script takes but the entry schema refuses (no connection count): the ticket is
    // stored again naming only what the answer offers.
    await entry('g-2', JSON.stringify({ gatewayId: 'g-2', publicUrl: 'ws://x/ws' }));
    expect((await choose(3)).map((g) => g.gatewayId)).toEqual(['g-3']);
    const grant = await storedGrant();
    expect(grant.gatewayId).toBe('g-3');
    expect(grant).not.toHaveProperty('backupGatewayIds');
  });

  it('spreads connects made at the same moment over equally loaded gateways', async () => {
    await list(redis, 'g-1', 0);
    await list(redis, 'g-2', 0);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => choose(1, [], `ticket:spec-${i}`)),
    );
    const primaries = answers.map(([g]) => g.gatewayId);
    expect(primaries.filter((id) => id === 'g-1')).toHaveLength(5);
    expect(primaries.filter((id) => id === 'g-2')).toHaveLength(5);
    // Each ticket names its own answer's gateway.
    for (let i = 0; i < 10; i++) {
      expect((await storedGrant(`ticket:spec-${i}`)).gatewayId).toBe(primaries[i]);
    }
    await redis.del(...Array.from({ length: 10 }, (_, i) => `ticket:spec-${i}`));
  });

  it('never offers a gateway whose entry expired, nor one the client reported unreachable', async () => {
    await list(redis, 'g-1', 0, 50);
    await list(redis, 'g-2', 4);
    await list(redis, 'g-3', 7);
    await new Promise((r) => setTimeout(r, 120));
    const chosen = await choose(3, ['ws://127.0.0.1/g-2/ws']);
    expect(chosen.map((g) => g.gatewayId)).toEqual(['g-3']);
    expect(await choose(3, ['ws://127.0.0.1/g-2/ws', 'ws://127.0.0.1/g-3/ws'])).toEqual([]);
  });

  it('keeps a direct socket on a gateway within the slack of the least loaded, reserving one connection there, and names the others as backups', async () => {
    await list(redis, 'g-1', 100);
    await list(redis, 'g-2', 95);
    await list(redis, 'g-3', 300);
    // 100 <= 95 + 10% + 16: kept, one more on g-1; backups least loaded first.
    const kept = await directory.claimHere('g-1', 2);
    expect(kept.kept).toBe(true);
    expect(kept.backups.map((g) => g.gatewayId)).toEqual(['g-2', 'g-3']);
    expect(Number(await redis.zscore(RedisKeys.gatewaysByLoad, 'g-1'))).toBe(101);
    // 300 > 95 + 9.5 + 16: ask the directory; nothing reserved.
    const sent = await directory.claimHere('g-3', 1);
    expect(sent.kept).toBe(false);
    expect(sent.backups.map((g) => g.gatewayId)).toEqual(['g-2']);
    expect(Number(await redis.zscore(RedisKeys.gatewaysByLoad, 'g-3'))).toBe(300);
  });

  it('keeps a direct socket when the directory is empty (start-up), never on a gateway it does not list as live', async () => {
    expect(await directory.claimHere('g-1', 2)).toEqual({ kept: true, backups: [] });
    await list(redis, 'g-2', 0);
    await list(redis, 'g-1', 0, 50);
    await new Promise((r) => setTimeout(r, 120));
    const expired = await directory.claimHere('g-1', 2);
    expect(expired.kept).toBe(false);
    expect(expired.backups.map((g) => g.gatewayId)).toEqual(['g-2']);
    expect(Number(await redis.zscore(RedisKeys.gatewaysByLoad, 'g-1'))).toBe(0);
  });

  it('withdraws a gateway at once', async () => {
    await list(redis, 'g-1', 0);
    await list(redis, 'g-2', 3);
    await directory.withdraw('g-1');
    expect((await choose(3)).map((g) => g.gatewayId)).toEqual(['g-2']);
    expect(await redis.zscore(RedisKeys.gatewaysByLoad, 'g-1')).toBeNull();
  });

  it('sees only its own cluster in a shared Redis database', async () => {
    await list(redis, 'g-1', 0);
    const other = new Redis(REDIS_URL, { keyPrefix: redisKeyPrefix(`${cluster}-other`) });
    try {
      expect(
        await new GatewayDirectoryReader(other).chooseAndIssue(3, [], ticketOf('ticket:spec')),
      ).toEqual([]);
      expect(await other.get('ticket:spec')).not.toBeNull();
      expect(await redis.get('ticket:spec')).toBeNull();
    } finally {
      await other.del('ticket:spec');
      await other.quit();
    }
  });
});
