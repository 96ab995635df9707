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
 * A socket opened on a gateway directly (no directory round): that gateway keeps it when it is
 * within the slack of the least-loaded live gateway, reserving one connection on itself as a
 * directory answer does, and names up to ARGV[5] other live gateways as the socket's backups.
 * KEYS[1] the load index; ARGV[1] the entry-key prefix, ARGV[2] this gateway's id, ARGV[3] the
 * slack in percent of the least load, ARGV[4] the slack in connections, ARGV[5] backups wanted.
 * Returns 1 (kept here) or 0 (ask the directory), then the backups' entries (JSON). An empty
 * directory (right after start-up) keeps it here, as `POST /v1/connect` then answers with the
 * gateway it asked.
 */
const CLAIM_HERE_SCRIPT = `
local least, mine = nil, nil
local backups = {}
local ids = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #ids, 2 do
  local value = redis.call('GET', ARGV[1] .. ids[i])
  if value then
    local load = tonumber(ids[i + 1])
    if least == nil then least = load end
    if ids[i] == ARGV[2] then
      mine = load
    elseif #backups < tonumber(ARGV[5]) then
      table.insert(backups, value)
    end
  end
end
local kept = 0
if least == nil then
  kept = 1
elseif mine ~= nil and mine <= least + least * tonumber(ARGV[3]) / 100 + tonumber(ARGV[4]) then
  redis.call('ZINCRBY', KEYS[1], 1, ARGV[2])
  kept = 1
end
table.insert(backups, 1, kept)
return backups
`;

/** How far above the least-loaded gateway a gateway still keeps a socket opened on it directly. */
export const CLAIM_SLACK = { percent: 10, connections: 16 } as const;

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
    return entriesOf(values);
  }

  /**
   * Whether a socket opened directly on `gatewayId` stays there (see CLAIM_HERE_SCRIPT; when it
   * does, one connection is reserved on it), and up to `backups` other live gateways.
   */
  async claimHere(
    gatewayId: string,
    backups: number,
  ): Promise<{ kept: boolean; backups: DirectoryEntry[] }> {
    const [kept, ...values] = (await this.redis.eval(
      CLAIM_HERE_SCRIPT,
      1,
      RedisKeys.gatewaysByLoad,
      `${this.redis.options.keyPrefix ?? ''}${RedisKeys.gateway('')}`,
      gatewayId,
      String(CLAIM_SLACK.percent),
      String(CLAIM_SLACK.connections),
      String(backups),
    )) as [number, ...string[]];
    return { kept: kept === 1, backups: entriesOf(values) };
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

/** The directory entries among `values` (JSON); a corrupt entry is not a live gateway. */
function entriesOf(values: readonly string[]): DirectoryEntry[] {
  const entries: DirectoryEntry[] = [];
  for (const value of values) {
    const entry = parseRedisValue(liveGatewaySchema, value);
    if (entry) {
      entries.push({
        gatewayId: entry.gatewayId,
        publicUrl: entry.publicUrl,
        connections: entry.connections,
      });
    }
  }
  return entries;
}
