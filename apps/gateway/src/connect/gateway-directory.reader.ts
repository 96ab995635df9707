import { Inject, Injectable } from '@nestjs/common';
import { liveGatewaySchema, parseRedisValue, REDIS, RedisKeys } from '@parley/common';
import Redis from 'ioredis';
import type { TicketGrant } from './connect-ticket';

export interface DirectoryEntry {
  gatewayId: string;
  publicUrl: string;
  connections: number;
}

/** A connect ticket stored in the directory's step: its grant gets the gateways chosen. */
export interface TicketOnChoice {
  /** Where it is stored (`ticketKey`). */
  key: string;
  grant: Omit<TicketGrant, 'gatewayId' | 'backupGatewayIds'>;
  ttlSeconds: number;
  /** The gateway the ticket names when no gateway is live (the one answering). */
  fallbackGatewayId: string;
}

/**
 * Picks, reserves and issues in ONE step (a Lua script, so two connects at the same moment cannot
 * both take the same least-loaded gateway, and one round trip to Redis for the directory's whole
 * answer): walks the load index least-loaded first (ties by id), skips ids whose directory entry
 * has expired (a dead gateway: session stops refreshing it) or is not a gateway's entry, and
 * gateways whose public URL the client reported unreachable, takes up to ARGV[2] live ones, counts
 * one more connection on the first, and stores the connect ticket naming them: its grant (ARGV[3],
 * a JSON object without the gateways) with `gatewayId` the first (ARGV[4], the gateway answering,
 * when none is live) and `backupGatewayIds` the others, for ARGV[5] seconds.
 *
 * KEYS[1] the load index, KEYS[2] the ticket's key; ARGV[1] the prefix of a gateway's entry key
 * (cluster prefix included: the script builds those keys itself), ARGV[6..] excluded URLs. The
 * grant is never `{}` (it names its user), so the gateways are appended to its members. Returns
 * the chosen entries' JSON, the primary first.
 */
const CHOOSE_AND_ISSUE_SCRIPT = `
local excluded = {}
for i = 6, #ARGV do excluded[ARGV[i]] = true end
local wanted = tonumber(ARGV[2])
local chosen, named = {}, {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local value = redis.call('GET', ARGV[1] .. id)
  if value then
    local ok, entry = pcall(cjson.decode, value)
    if ok and type(entry) == 'table' and entry.gatewayId == id
        and type(entry.publicUrl) == 'string' and not excluded[entry.publicUrl] then
      if #chosen == 0 then redis.call('ZINCRBY', KEYS[1], 1, id) end
      table.insert(chosen, value)
      table.insert(named, cjson.encode(id))
      if #chosen >= wanted then break end
    end
  end
end
local grant = string.sub(ARGV[3], 1, -2) .. ',"gatewayId":' .. (named[1] or cjson.encode(ARGV[4]))
if #named > 1 then
  grant = grant .. ',"backupGatewayIds":[' .. table.concat(named, ',', 2) .. ']'
end
redis.call('SET', KEYS[2], grant .. '}', 'EX', ARGV[5])
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
   * one connection is reserved on the first, and `ticket` is stored naming them: the first (or
   * `ticket.fallbackGatewayId` when none is live) and the others as its backups. Empty when none
   * is live.
   */
  async chooseAndIssue(
    count: number,
    excludedUrls: readonly string[],
    ticket: TicketOnChoice,
  ): Promise<DirectoryEntry[]> {
    const values = (await this.redis.eval(
      CHOOSE_AND_ISSUE_SCRIPT,
      2,
      RedisKeys.gatewaysByLoad,
      ticket.key,
      `${this.redis.options.keyPrefix ?? ''}${RedisKeys.gateway('')}`,
      String(count),
      JSON.stringify(ticket.grant),
      ticket.fallbackGatewayId,
      String(ticket.ttlSeconds),
      ...excludedUrls,
    )) as string[];
    const entries = entriesOf(values);
    if (entries.length < values.length) {
      // An entry the script took but its schema refuses (not a live gateway): the ticket must not
      // name it, so it is stored again naming only the entries answered.
      await this.redis.set(
        ticket.key,
        JSON.stringify(grantNaming(ticket, entries)),
        'EX',
        ticket.ttlSeconds,
      );
    }
    return entries;
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

/** The grant `ticket` stands for once `entries` are chosen: the first, the others as backups. */
function grantNaming(ticket: TicketOnChoice, entries: readonly DirectoryEntry[]): TicketGrant {
  const [primary, ...backups] = entries;
  return {
    ...ticket.grant,
    gatewayId: primary?.gatewayId ?? ticket.fallbackGatewayId,
    ...(backups.length > 0 ? { backupGatewayIds: backups.map((b) => b.gatewayId) } : {}),
  };
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
