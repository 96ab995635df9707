import { RedisKeys, redisKeyPrefix } from '@parley/common';
import Redis from 'ioredis';
import { newTicket, type TicketGrant } from './connect-ticket';
import { ConnectTicketsRepository, ticketKey } from './connect-tickets.repository';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/14';

const grant: TicketGrant = {
  userId: '8d3c32e2-c463-44b3-a6db-510848db924a',
  username: 'alice_1',
  deviceId: 'laptop-1',
  gatewayId: 'gateway-1',
  sessionId: '35c82507-4873-4b0b-a652-137f51e833df',
  expiresAt: 1_900_000_000,
};

describe('ConnectTicketsRepository (real Redis)', () => {
  let redis: Redis;
  let tickets: ConnectTicketsRepository;

  beforeEach(() => {
    redis = new Redis(REDIS_URL, { keyPrefix: redisKeyPrefix(`tickets-${process.pid}`) });
    tickets = new ConnectTicketsRepository(redis);
  });
  afterEach(async () => {
    await redis.del(RedisKeys.sessionEnded(grant.sessionId));
    await redis.quit();
  });

  it('hands a ticket out once, with its session live', async () => {
    const ticket = newTicket();
    await tickets.store(ticket, grant, 30);
    expect(await tickets.consume(ticket)).toEqual({ grant, sessionEnded: false });
    expect(await tickets.consume(ticket)).toEqual({ grant: null, sessionEnded: false });
    expect(await redis.exists(ticketKey(ticket))).toBe(0);
  });

  it('tells, in the same step, that the session the ticket names has ended', async () => {
    const ticket = newTicket();
    await tickets.store(ticket, grant, 30);
    await redis.set(RedisKeys.sessionEnded(grant.sessionId), '1', 'EX', 60);
    expect(await tickets.consume(ticket)).toEqual({ grant, sessionEnded: true });
  });

  it('reads only its own cluster: a session ended elsewhere is not this one', async () => {
    const other = new Redis(REDIS_URL, { keyPrefix: redisKeyPrefix(`tickets-${process.pid}-b`) });
    try {
      await other.set(RedisKeys.sessionEnded(grant.sessionId), '1', 'EX', 60);
      const ticket = newTicket();
      await tickets.store(ticket, grant, 30);
      expect(await tickets.consume(ticket)).toEqual({ grant, sessionEnded: false });
    } finally {
      await other.del(RedisKeys.sessionEnded(grant.sessionId));
      await other.quit();
    }
  });

  it('takes out a value that is not a grant and answers no grant', async () => {
    const notJson = newTicket();
    const noSession = newTicket();
    await redis.set(ticketKey(notJson), 'not json', 'EX', 30);
    await redis.set(ticketKey(noSession), JSON.stringify({ ...grant, sessionId: 7 }), 'EX', 30);
    expect(await tickets.consume(notJson)).toEqual({ grant: null, sessionEnded: false });
    expect(await tickets.consume(noSession)).toEqual({ grant: null, sessionEnded: false });
    expect(await redis.exists(ticketKey(notJson), ticketKey(noSession))).toBe(0);
  });
});
