import { Inject, Injectable } from '@nestjs/common';
import { REDIS } from '@parley/common';
import Redis from 'ioredis';
import { ThrottleCounters } from './login-throttle.policy';

/**
 * Increments both counters (starting each fixed window with its TTL on the first increment) and
 * returns [usernameCount, usernamePttl, addressCount, addressPttl]. Atomic across gateways.
 */
const RESERVE_SCRIPT = `
local function bump(key, windowMs)
  local n = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if n == 1 or ttl < 0 then
    redis.call('PEXPIRE', key, windowMs)
    ttl = windowMs
  end
  return { n, ttl }
end
local u = bump(KEYS[1], tonumber(ARGV[1]))
local a = bump(KEYS[2], tonumber(ARGV[1]))
return { u[1], u[2], a[1], a[2] }
`;

/** Gives a reservation back without ever going below zero or dropping the key's TTL. */
const RELEASE_SCRIPT = `
for _, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if n > 0 then redis.call('DECR', key) end
end
return 1
`;

/** Log-in failure counters in Redis, shared by every gateway. */
@Injectable()
export class LoginThrottleRepository {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async reserve(
    usernameKey: string,
    addressKey: string,
    windowSeconds: number,
  ): Promise<ThrottleCounters> {
    const reply = (await this.redis.eval(
      RESERVE_SCRIPT,
      2,
      usernameKey,
      addressKey,
      String(windowSeconds * 1000),
    )) as number[];
    const [userCount, userPttl, addrCount, addrPttl] = reply.map(Number);
    return {
      username: { count: userCount, ttlSeconds: userPttl / 1000 },
      address: { count: addrCount, ttlSeconds: addrPttl / 1000 },
    };
  }

  async release(...keys: string[]): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, keys.length, ...keys);
  }

  async clear(key: string): Promise<void> {
    await this.redis.del(key);
  }
}
