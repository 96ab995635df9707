import { Inject, Injectable } from '@nestjs/common';
import { REDIS } from '@parley/common';
import Redis from 'ioredis';

/** A fixed-window counter after an increment: its value and the seconds left in its window. */
export interface WindowCount {
  count: number;
  ttlSeconds: number;
}

/**
 * Increments every key (starting each fixed window with its TTL on the first increment) and
 * returns { count, pttl } per key. Atomic across gateways.
 */
const HIT_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if n == 1 or ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  out[2 * i - 1] = n
  out[2 * i] = ttl
end
return out
`;

/** Gives a hit back without ever going below zero or dropping the key's TTL. */
const RELEASE_SCRIPT = `
for _, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if n > 0 then redis.call('DECR', key) end
end
return 1
`;

/**
 * Fixed-window counters in Redis, shared by every gateway: the storage behind each HTTP throttle
 * (log-in failures, registrations per address, searches per user). Keys come from
 * RedisKeys.throttle; the policies that read the counts are pure functions beside their callers.
 */
@Injectable()
export class ThrottleCountersRepository {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async hit(keys: readonly string[], windowSeconds: number): Promise<WindowCount[]> {
    const reply = (await this.redis.eval(
      HIT_SCRIPT,
      keys.length,
      ...keys,
      String(windowSeconds * 1000),
    )) as number[];
    return keys.map((_key, i) => ({
      count: Number(reply[2 * i]),
      ttlSeconds: Number(reply[2 * i + 1]) / 1000,
    }));
  }

  async release(...keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.eval(RELEASE_SCRIPT, keys.length, ...keys);
  }

  async clear(...keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys);
  }
}

/** Seconds until a window resets: at least 1, at most the window (a key without TTL: a window). */
export function retryAfter(ttlSeconds: number, windowSeconds: number): number {
  if (ttlSeconds <= 0) return windowSeconds;
  return Math.min(Math.ceil(ttlSeconds), windowSeconds);
}
