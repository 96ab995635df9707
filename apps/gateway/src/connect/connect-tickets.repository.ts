import { Inject, Injectable } from '@nestjs/common';
import { parseRedisValue, REDIS, RedisKeys, ticketGrantSchema } from '@parley/common';
import Redis from 'ioredis';
import { TicketGrant, ticketHash } from './connect-ticket';

/** Single-use connect tickets in Redis: `RedisKeys.connectTicket(sha256(ticket))` -> grant JSON. */
@Injectable()
export class ConnectTicketsRepository {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async store(ticket: string, grant: TicketGrant, ttlSeconds: number): Promise<void> {
    await this.redis.set(
      RedisKeys.connectTicket(ticketHash(ticket)),
      JSON.stringify(grant),
      'EX',
      ttlSeconds,
    );
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
