import { Inject, Injectable } from '@nestjs/common';
import { REDIS, RedisKeys } from '@parley/common';
import Redis from 'ioredis';

/**
 * A token bucket per user in Redis, shared by every gateway. Takes up to ARGV[3] tokens at once
 * (a gateway leases a few and spends them locally, so a busy user costs one Redis call per lease,
 * not per message); returns { granted, msUntilNextToken }. Time is Redis's own (TIME), so
 * gateways' clocks never disagree about the refill.
 */
const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
if now > at then tokens = math.min(burst, tokens + (now - at) * rate / 1000) end
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(math.max(now, at)))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
local wait = 0
if tokens < 1 then wait = math.ceil((1 - tokens) * 1000 / rate) end
return { granted, wait }
`;

export interface QuotaGrant {
  granted: number;
  msUntilNextToken: number;
}

@Injectable()
export class UserSendQuotaRepository {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async take(
    userId: string,
    want: number,
    ratePerSecond: number,
    burst: number,
  ): Promise<QuotaGrant> {
    const [granted, wait] = (await this.redis.eval(
      TAKE_SCRIPT,
      1,
      RedisKeys.userSendQuota(userId),
      String(ratePerSecond),
      String(burst),
      String(want),
    )) as [number, number];
    return { granted: Number(granted), msUntilNextToken: Number(wait) };
  }
}
