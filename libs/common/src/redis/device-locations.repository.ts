import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import { DeviceLocation, deviceLocationSchema, parseRedisValue, RedisKeys } from './redis-values';
import { REDIS } from './redis.module';

/** One open socket of a user's device, and the gateway box holding it. */
export interface DeviceConnection {
  userId: string;
  connectionId: string;
  deviceId: string;
  gatewayId: string;
  /** When the socket opened (ISO time). */
  since: string;
}

export interface ConnectionRef {
  userId: string;
  connectionId: string;
}

/**
 * The fan-out's look-up as one script: each KEYS entry up to ARGV[1] is a user's socket hash
 * (HGETALL, a flat field/value list), each one after it a gateway's directory key (EXISTS). One
 * command instead of one per user: ioredis's cost is per command (an object, a promise, a reply
 * conversion), and storage runs this once per group commit.
 */
const ROUTES_SCRIPT = `
local users = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  if i <= users then
    out[i] = redis.call('HGETALL', KEYS[i])
  else
    out[i] = redis.call('EXISTS', KEYS[i])
  end
end
return out`;

/** Users per script call: a large group's fan-out is several calls, sent together. */
export const ROUTES_USERS_PER_CALL = 500;

/** Location strings whose parse is kept: each socket's entry is read once per group commit. */
const PARSED_LOCATIONS_MAX = 20_000;

interface RoutesScript {
  parleyRoutes(numKeys: number, ...keysThenUsers: (string | number)[]): Promise<unknown>;
}

/**
 * Where devices are, in Redis: session writes it from connection events, storage's fan-out reads
 * it after each commit. Per user a hash `RedisKeys.userConnections(userId)` of
 * connectionId -> JSON {deviceId, gatewayId, since}; the live-gateway directory tells which
 * gateway boxes are still up (`RedisKeys.gateway(id)` exists).
 */
@Injectable()
export class DeviceLocationsRepository {
  private readonly parsed = new LRUCache<string, DeviceLocation>({ max: PARSED_LOCATIONS_MAX });
  private scripted?: Redis & RoutesScript;

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** The connection with the look-up's script defined (on first use). */
  private get routes(): Redis & RoutesScript {
    if (!this.scripted) {
      this.redis.defineCommand('parleyRoutes', { lua: ROUTES_SCRIPT });
      this.scripted = this.redis as Redis & RoutesScript;
    }
    return this.scripted;
  }

  /** Records opened sockets and removes closed ones atomically (MULTI). */
  async apply(
    opened: readonly DeviceConnection[],
    closed: readonly ConnectionRef[],
  ): Promise<void> {
    if (opened.length === 0 && closed.length === 0) return;
    const tx = this.redis.multi();
    for (const c of opened) {
      tx.hset(
        RedisKeys.userConnections(c.userId),
        c.connectionId,
        JSON.stringify({
          deviceId: c.deviceId,
          gatewayId: c.gatewayId,
          since: c.since,
        } satisfies DeviceLocation),
      );
    }
    for (const c of closed) tx.hdel(RedisKeys.userConnections(c.userId), c.connectionId);
    await execOrThrow(tx);
  }

  /**
   * Every recorded socket of these users (unreadable entries are dropped) and which of
   * `gatewayIds` are in the live directory, in ONE round trip (fan-out asks for the gateways it
   * has seen before, so it needs no second one): one script call per ROUTES_USERS_PER_CALL users.
   * `held`: each user's hash as Redis holds it, a flat field/value list in its order, unreadable
   * entries too (what a publish checks to find the hash unchanged: storage's DeliveryPublisher).
   */
  async findConnectionsAndLive(
    userIds: readonly string[],
    gatewayIds: readonly string[],
  ): Promise<{
    connections: Map<string, DeviceConnection[]>;
    live: Set<string>;
    held: Map<string, string[]>;
  }> {
    const found = new Map<string, DeviceConnection[]>();
    const live = new Set<string>();
    const held = new Map<string, string[]>();
    if (userIds.length === 0 && gatewayIds.length === 0) {
      return { connections: found, live, held };
    }
    const calls: { users: readonly string[]; reply: Promise<unknown> }[] = [];
    // At least one call: the gateways are asked about in the first, even with no users.
    for (
      let start = 0;
      calls.length === 0 || start < userIds.length;
      start += ROUTES_USERS_PER_CALL
    ) {
      const users = userIds.slice(start, start + ROUTES_USERS_PER_CALL);
      const gateways = start === 0 ? gatewayIds : [];
      const reply = this.routes.parleyRoutes(
        users.length + gateways.length,
        ...users.map((id) => RedisKeys.userConnections(id)),
        ...gateways.map((id) => RedisKeys.gateway(id)),
        users.length,
      );
      calls.push({ users, reply });
    }
    const replies = await Promise.all(calls.map((c) => c.reply));
    replies.forEach((reply, call) => {
      // Never read as "nobody is online": the fan-out fails and is retried, as on any error.
      if (!Array.isArray(reply)) throw new Error('route look-up: the script answered no list');
      const { users } = calls[call];
      users.forEach((userId, i) => {
        const flat: unknown = reply[i];
        found.set(userId, this.connectionsOf(userId, flat));
        held.set(userId, stringsOf(flat));
      });
      if (call === 0) {
        gatewayIds.forEach((id, i) => {
          if (reply[users.length + i] === 1) live.add(id);
        });
      }
    });
    return { connections: found, live, held };
  }

  /** A user's sockets from the flat field/value list HGETALL gave the script. */
  private connectionsOf(userId: string, flat: unknown): DeviceConnection[] {
    const connections: DeviceConnection[] = [];
    if (!Array.isArray(flat)) return connections;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const connectionId: unknown = flat[i];
      const raw: unknown = flat[i + 1];
      if (typeof connectionId !== 'string' || typeof raw !== 'string') continue;
      const value = this.parseLocation(raw);
      if (value) connections.push({ userId, connectionId, ...value });
    }
    return connections;
  }

  /** A location string parsed and checked, once per distinct string (they never change). */
  private parseLocation(raw: string): DeviceLocation | null {
    const known = this.parsed.get(raw);
    if (known) return known;
    const value = parseRedisValue(deviceLocationSchema, raw);
    if (value) this.parsed.set(raw, value);
    return value;
  }

  /** Which of these gateways are in the live directory (heartbeat within the TTL). */
  async liveGateways(gatewayIds: readonly string[]): Promise<Set<string>> {
    if (gatewayIds.length === 0) return new Set();
    const pipeline = this.redis.pipeline();
    for (const id of gatewayIds) pipeline.exists(RedisKeys.gateway(id));
    const results = await execOrThrow(pipeline);
    return new Set(gatewayIds.filter((_, i) => results[i] === 1));
  }

  /** Removes entries (sockets on gateways that are gone). */
  async forget(connections: readonly ConnectionRef[]): Promise<void> {
    if (connections.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const c of connections) pipeline.hdel(RedisKeys.userConnections(c.userId), c.connectionId);
    await execOrThrow(pipeline);
  }
}

/** HGETALL's flat field/value list as strings (anything else: a list no hash compares equal to). */
function stringsOf(flat: unknown): string[] {
  if (!Array.isArray(flat)) return [];
  return flat.every((x): x is string => typeof x === 'string') ? flat : [''];
}

/** Runs a MULTI or pipeline; any command error (or an aborted transaction) is thrown. */
export async function execOrThrow(batch: {
  exec(): Promise<[Error | null, unknown][] | null>;
}): Promise<unknown[]> {
  const results = await batch.exec();
  if (!results) throw new Error('Redis transaction aborted');
  const failed = results.find(([err]) => err !== null);
  if (failed) throw failed[0] as Error;
  return results.map(([, value]) => value);
}
