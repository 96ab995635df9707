import { RedisKeys, redisKeyPrefix } from '@parley/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { SessionsRepository } from './sessions.repository';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/14';

describe('SessionsRepository (real Redis)', () => {
  let redis: Redis;
  let sessions: SessionsRepository;

  beforeEach(() => {
    redis = new Redis(REDIS_URL, { keyPrefix: redisKeyPrefix(`sessionsspec-${process.pid}`) });
    sessions = new SessionsRepository(redis);
  });
  afterEach(() => redis.disconnect());

  it('tells which of many sessions have ended, in one call', async () => {
    const [ended, live, other] = [randomUUID(), randomUUID(), randomUUID()];
    await sessions.markEnded(ended, 60);
    await sessions.markEnded(other, 60);
    expect(await sessions.endedAmong([live, ended, other])).toEqual(new Set([ended, other]));
    expect(await sessions.isEnded(live)).toBe(false);
    expect(await sessions.endedAmong([])).toEqual(new Set());
  });

  it('marks several ended at once, each for its own time', async () => {
    const [short, long] = [randomUUID(), randomUUID()];
    await sessions.markEndedMany([
      { sessionId: short, forSeconds: 30 },
      { sessionId: long, forSeconds: 900 },
    ]);
    expect(await sessions.endedAmong([short, long])).toEqual(new Set([short, long]));
    expect(await redis.ttl(RedisKeys.sessionEnded(short))).toBeLessThanOrEqual(30);
    expect(await redis.ttl(RedisKeys.sessionEnded(long))).toBeGreaterThan(30);
    await sessions.markEndedMany([]);
  });
});
