import { Inject, Injectable } from '@nestjs/common';
import { parseRedisValue, REDIS, RedisKeys, ticketGrantSchema } from '@parley/common';
import Redis from 'ioredis';
import { TicketGrant, ticketHash } from './connect-ticket';

/**
 * Single-use tickets in Redis, connect and resume alike: `RedisKeys.connectTicket(sha256(ticket))`
 * -> grant JSON, expiring with its TTL.
 */
@Injectable()
export class ConnectTicketsRepository {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /**
   * Stores a ticket's grant for `ttlSeconds`. `existingOnly`: rewrite it only while it is still
   * there (SET XX), so a ticket that was used or expired stays gone.
   */
  async store(
    ticket: string,
    grant: TicketGrant,
    ttlSeconds: number,
    existingOnly = false,
  ): Promise<void> {
    const key = RedisKeys.connectTicket(ticketHash(ticket));
    const value = JSON.stringify(grant);
    if (existingOnly) await this.redis.set(key, value, 'EX', ttlSeconds, 'XX');
    else await this.redis.set(key, value, 'EX', ttlSeconds);
  }

  async delete(ticket: string): Promise<void> {
    await this.redis.del(RedisKeys.connectTicket(ticketHash(ticket)));
  }

  /**
   * Takes the ticket out (GETDEL: atomic, so of two upgrades racing with one ticket, one wins).
   * Null if unknown, already used or expired (Redis expired it).
   */
  async consume(ticket: string): Promise<TicketGrant | null> {
    const raw = await this.redis.getdel(RedisKeys.connectTicket(ticketHash(ticket)));
    return parseRedisValue(ticketGrantSchema, raw);
  }
}
