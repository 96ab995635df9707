import { Inject, Injectable } from '@nestjs/common';
import { liveGatewaySchema, parseRedisValue, REDIS, RedisKeys } from '@parley/common';
import Redis from 'ioredis';

export interface DirectoryEntry {
  gatewayId: string;
  publicUrl: string;
  connections: number;
}

/**
 * Picks and reserves in ONE step (a Lua script, so two connects at the same moment cannot both
 * take the same least-loaded gateway): walks the load index least-loaded first (ties by id),
 * skips ids whose directory entry has expired (a dead gateway: session stops refreshing it) and
 * gateways whose public URL the client reported unreachable, takes up to ARGV[2] live ones, and
 * counts one more connection on the first.
 *
 * KEYS[1] the load index; ARGV[1] the prefix of a gateway's entry key (cluster prefix included:
 * the script builds those keys itself), ARGV[2] how many to return, ARGV[3..] excluded URLs.
 * Returns the chosen entries' JSON, the primary first.
 */
const CHOOSE_AND_RESERVE_SCRIPT = `
local excluded = {}
for i = 3, #ARGV do excluded[ARGV[i]] = true end
local wanted = tonumber(ARGV[2])
local chosen, ids = {}, {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local value = redis.call('GET', ARGV[1] .. id)
  if value then
    local ok, entry = pcall(cjson.decode, value)
    if ok and type(entry) == 'table' and not excluded[entry.publicUrl] then
      table.insert(chosen, value)
      table.insert(ids, id)
      if #chosen >= wanted then break end
    end
  end
end
if #ids > 0 then redis.call('ZINCRBY', KEYS[1], 1, ids[1]) end
return chosen
`;

/**
 * The live-gateway directory session maintains from heartbeats (`RedisKeys.gatewaysByLoad`: ids by
 * connection count; `RedisKeys.gateway(id)`: JSON with a TTL of about two missed beats), as the
 * gateways use it: to answer `POST /v1/connect`, and to withdraw themselves when they shut down.
 * The load is the index's score: each heartbeat resets it to the gateway's real count and every
 * ticket issued in between reserves one more, so a burst of connects spreads over the gateways.
 */
@Injectable()
export class GatewayDirectoryReader {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /**
   * Up to `count` live gateways, least loaded first, none of them at an `excludedUrls` address;
   * one connection is reserved on the first. Empty when none is live.
   */
  async chooseAndReserve(
    count: number,
    excludedUrls: readonly string[] = [],
  ): Promise<DirectoryEntry[]> {
    const values = (await this.redis.eval(
      CHOOSE_AND_RESERVE_SCRIPT,
      1,
      RedisKeys.gatewaysByLoad,
      `${this.redis.options.keyPrefix ?? ''}${RedisKeys.gateway('')}`,
      String(count),
      ...excludedUrls,
    )) as string[];
    const chosen: DirectoryEntry[] = [];
    for (const value of values) {
      // A corrupt entry is not a live gateway.
      const entry = parseRedisValue(liveGatewaySchema, value);
      if (entry) {
        chosen.push({
          gatewayId: entry.gatewayId,
          publicUrl: entry.publicUrl,
          connections: entry.connections,
        });
      }
    }
    return chosen;
  }

  /**
   * Takes this gateway out of the directory at once (a clean shutdown): no connect answer offers
   * it from now on. Its last heartbeat, which says it is leaving, makes session do the same.
   */
  async withdraw(gatewayId: string): Promise<void> {
    await this.redis
      .multi()
      .del(RedisKeys.gateway(gatewayId))
      .zrem(RedisKeys.gatewaysByLoad, gatewayId)
      .exec();
  }
}
