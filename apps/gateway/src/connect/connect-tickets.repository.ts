import { Inject, Injectable } from '@nestjs/common';
import { parseRedisValue, REDIS, RedisKeys, ticketGrantSchema } from '@parley/common';
import Redis from 'ioredis';
import { TicketGrant, ticketHash } from './connect-ticket';

/** Where a ticket's grant is stored: only its hash names the key (connect-ticket.ts). */
export function ticketKey(ticket: string): string {
  return RedisKeys.connectTicket(ticketHash(ticket));
}

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
    const key = ticketKey(ticket);
    const value = JSON.stringify(grant);
    if (existingOnly) await this.redis.set(key, value, 'EX', ttlSeconds, 'XX');
    else await this.redis.set(key, value, 'EX', ttlSeconds);
  }

  async delete(ticket: string): Promise<void> {
    await this.redis.del(ticketKey(ticket));
  }

  /**
   * Takes the ticket out and tells whether the log-in session it names has ended, in one step
   * (CONSUME_SCRIPT: one round trip to Redis for an upgrade's ticket). GETDEL is atomic, so of
   * two upgrades racing with one ticket, one wins. The grant is null if the ticket is unknown,
   * already used or expired (Redis expired it), or its value is not a grant.
   */
  async consume(ticket: string): Promise<{ grant: TicketGrant | null; sessionEnded: boolean }> {
    const reply = (await this.redis.eval(
      CONSUME_SCRIPT,
      1,
      ticketKey(ticket),
      `${this.redis.options.keyPrefix ?? ''}${SESSION_ENDED_KEY[0]}`,
      SESSION_ENDED_KEY[1],
    )) as [string, number] | null;
    if (reply === null) return { grant: null, sessionEnded: false };
    return { grant: parseRedisValue(ticketGrantSchema, reply[0]), sessionEnded: reply[1] === 1 };
  }
}

/** `RedisKeys.sessionEnded(id)` around the id, for a script that builds it from a grant. */
const SESSION_ENDED_KEY = RedisKeys.sessionEnded('\u0000').split('\u0000') as [string, string];

/**
 * GETDEL of KEYS[1] (a ticket), and whether the session its grant names has ended: EXISTS of
 * ARGV[1] .. sessionId .. ARGV[2] (`RedisKeys.sessionEnded`, cluster prefix included). Nil for no
 * ticket; else the grant's JSON and 1 / 0 (0 too when the value names no session: it is refused
 * as a grant anyway).
 */
const CONSUME_SCRIPT = `
local value = redis.call('GETDEL', KEYS[1])
if not value then return false end
local ended = 0
local ok, grant = pcall(cjson.decode, value)
if ok and type(grant) == 'table' and type(grant.sessionId) == 'string' then
  ended = redis.call('EXISTS', ARGV[1] .. grant.sessionId .. ARGV[2])
end
return {value, ended}
`;
