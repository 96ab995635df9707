import { Inject, Injectable } from '@nestjs/common';
import {
  APP_CONFIG,
  execOrThrow,
  liveGatewaySchema,
  parseRedisValue,
  type PresenceDevice,
  presenceDeviceSchema,
  REDIS,
  RedisChannels,
  RedisKeys,
} from '@parley/common';
import Redis from 'ioredis';
import type { PresenceConfig } from '../config/presence.config';
import type { DeviceRemoval, DeviceWrite, GatewayLife } from './device-presence.plan';

/**
 * The change message a script publishes (PresenceChange, built in Lua: `seen` is the stored epoch
 * ms, or null). A change is published inside the script that decides it, so two decisions about
 * one user (a batch and the sweeper) reach watchers in the order Redis took them.
 */
const PUBLISH_CHANGE = `
local function publishChange(channel, userId, online, seen)
  local seenJson = 'null'
  if seen then seenJson = seen end
  redis.call('PUBLISH', channel, '{"version":1,"userId":"' .. userId .. '","online":' .. online ..
    ',"seen":' .. seenJson .. '}')
end
`;

/**
 * The user's devices say online (ARGV[1] = '1') or not. Online: a pending offline is cancelled,
 * and if watchers were last told offline they are told online. Not online while watchers were
 * told online: the offline is due after the grace (unless already pending), and it goes into the
 * storm level: a bucket that every offline begun fills by one and that drains at the cluster's
 * reconnect rate (see `stormLevel`). Answers 1 when a change was published.
 * KEYS: presence(user), offline-due, storm. ARGV: online, now, grace, userId, channel, reconnects/s.
 */
const COMMIT_STATE = `${PUBLISH_CHANGE}
local told = redis.call('HGET', KEYS[1], 'online')
if ARGV[1] == '1' then
  redis.call('ZREM', KEYS[2], ARGV[4])
  if told ~= '1' then
    redis.call('HSET', KEYS[1], 'online', '1')
    publishChange(ARGV[5], ARGV[4], 'true', redis.call('HGET', KEYS[1], 'seen'))
    return 1
  end
  return 0
end
if told == '1' then
  local now = tonumber(ARGV[2])
  if redis.call('ZADD', KEYS[2], 'NX', now + tonumber(ARGV[3]), ARGV[4]) == 1 then
    local rate = tonumber(ARGV[6])
    local level = tonumber(redis.call('HGET', KEYS[3], 'level') or '0')
    local at = tonumber(redis.call('HGET', KEYS[3], 'at') or ARGV[2])
    level = math.max(0, level - (now - at) * rate / 1000) + 1
    redis.call('HSET', KEYS[3], 'level', tostring(level), 'at', ARGV[2])
    redis.call('PEXPIRE', KEYS[3], math.ceil(level * 1000 / rate) + 1000)
  end
end
return 0
`;

/**
 * A due offline, claimed by removing it (whoever removes it decides): watchers told online are
 * told offline. Answers the last seen (epoch ms) to write to PostgreSQL if it moved since the last
 * write, 0 if there is nothing to write, -1 if the offline was no longer due (claimed or
 * cancelled meanwhile).
 * KEYS: presence(user), offline-due. ARGV: userId, channel, now.
 */
const COMMIT_OFFLINE = `${PUBLISH_CHANGE}
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'online') ~= '1' then return -1 end
redis.call('HSET', KEYS[1], 'online', '0')
local seen = redis.call('HGET', KEYS[1], 'seen')
publishChange(ARGV[2], ARGV[1], 'false', seen)
if seen and tonumber(seen) > tonumber(redis.call('HGET', KEYS[1], 'wseen') or '0') then
  redis.call('HSET', KEYS[1], 'written', ARGV[3], 'wseen', seen)
  return tonumber(seen)
end
return 0
`;

/**
 * Users' activity, many in one call: for user i (KEYS[i]; ARGV 3 + 3(i-1): at, userId, channel)
 * last seen moves forward to `at` (never back), and watchers of a user who is not online are told
 * the new last seen. Answers, per user, the time to write to PostgreSQL when its last write is
 * older than the interval, else 0 (nothing moved, or written recently).
 * ARGV[1]: now, ARGV[2]: write interval.
 */
const NOTE_ACTIVITY = `${PUBLISH_CHANGE}
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local writes = {}
for i, key in ipairs(KEYS) do
  local base = 3 * (i - 1) + 2
  local at = tonumber(ARGV[base + 1])
  writes[i] = 0
  if at > tonumber(redis.call('HGET', key, 'seen') or '0') then
    redis.call('HSET', key, 'seen', ARGV[base + 1])
    if redis.call('HGET', key, 'online') ~= '1' then
      publishChange(ARGV[base + 3], ARGV[base + 2], 'false', ARGV[base + 1])
    end
    if now - tonumber(redis.call('HGET', key, 'written') or '0') >= interval then
      redis.call('HSET', key, 'written', ARGV[1], 'wseen', ARGV[base + 1])
      writes[i] = at
    end
  end
end
return writes
`;

/** Users per NOTE_ACTIVITY call. */
const ACTIVITY_PER_CALL = 500;

type Scripted = Redis & {
  presenceCommitState(...args: (string | number)[]): Promise<number>;
  presenceCommitOffline(...args: (string | number)[]): Promise<number>;
  presenceNoteActivity(...args: (string | number)[]): Promise<number[]>;
};

/**
 * Presence's live state in Redis (keys in RedisKeys): per user the state watchers were told and
 * the last seen (`presence:<id>`), the user's sockets with foreground flags
 * (`presence:<id>:devices`), the offlines waiting out their grace (`presence:offline-due`), and per
 * gateway the users with a socket there (to find them when it dies). Every decision that tells
 * watchers something is one script (atomic, and its publish in order).
 */
@Injectable()
export class LivePresenceStore {
  private readonly redis: Scripted;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG)
    private readonly config: Pick<
      PresenceConfig,
      'PARLEY_CLUSTER_ID' | 'PRESENCE_RECONNECTS_PER_S'
    >,
  ) {
    redis.defineCommand('presenceCommitState', { numberOfKeys: 3, lua: COMMIT_STATE });
    redis.defineCommand('presenceCommitOffline', { numberOfKeys: 2, lua: COMMIT_OFFLINE });
    redis.defineCommand('presenceNoteActivity', { lua: NOTE_ACTIVITY });
    this.redis = redis as Scripted;
  }

  private channel(userId: string): string {
    return RedisChannels.presence(this.config.PARLEY_CLUSTER_ID, userId);
  }

  /** Records sockets opened or changed, and removes closed ones (one MULTI, in order). */
  async applyDevices(
    writes: readonly DeviceWrite[],
    removals: readonly DeviceRemoval[],
  ): Promise<void> {
    if (writes.length === 0 && removals.length === 0) return;
    const tx = this.redis.multi();
    for (const w of writes) {
      const key = RedisKeys.presenceDevices(w.userId);
      const value = JSON.stringify(w.device);
      if (w.ifAbsent) tx.hsetnx(key, w.connectionId, value);
      else tx.hset(key, w.connectionId, value);
      tx.hsetnx(RedisKeys.presenceGateways, w.device.gatewayId, '0');
      tx.sadd(RedisKeys.presenceGatewayUsers(w.device.gatewayId), w.userId);
    }
    for (const r of removals) tx.hdel(RedisKeys.presenceDevices(r.userId), r.connectionId);
    await execOrThrow(tx);
  }

  /** Each user's sockets (unreadable entries dropped). */
  async devicesOf(userIds: readonly string[]): Promise<Map<string, Map<string, PresenceDevice>>> {
    const found = new Map<string, Map<string, PresenceDevice>>();
    if (userIds.length === 0) return found;
    const pipeline = this.redis.pipeline();
    for (const id of userIds) pipeline.hgetall(RedisKeys.presenceDevices(id));
    const results = await execOrThrow(pipeline);
    userIds.forEach((userId, i) => {
      const devices = new Map<string, PresenceDevice>();
      for (const [connectionId, raw] of Object.entries(
        (results[i] ?? {}) as Record<string, string>,
      )) {
        const device = parseRedisValue(presenceDeviceSchema, raw);
        if (device) devices.set(connectionId, device);
      }
      found.set(userId, devices);
    });
    return found;
  }

  /** Removes sockets that are gone (their gateway died or restarted). */
  async forgetDevices(refs: readonly { userId: string; connectionId: string }[]): Promise<void> {
    if (refs.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const r of refs) pipeline.hdel(RedisKeys.presenceDevices(r.userId), r.connectionId);
    await execOrThrow(pipeline);
  }

  /**
   * Every gateway presence holds sockets on (with the start time last checked, 0 if never) and how
   * the live directory shows them now, in one round trip.
   */
  async gateways(): Promise<{ known: Map<string, number>; life: Map<string, GatewayLife> }> {
    const raw = await this.redis.hgetall(RedisKeys.presenceGateways);
    const known = new Map(Object.entries(raw).map(([id, started]) => [id, Number(started) || 0]));
    const life = new Map<string, GatewayLife>();
    if (known.size === 0) return { known, life };
    const ids = [...known.keys()];
    const entries = await this.redis.mget(...ids.map((id) => RedisKeys.gateway(id)));
    ids.forEach((id, i) => {
      const value = entries[i] ? parseRedisValue(liveGatewaySchema, entries[i]) : null;
      life.set(id, value ? { startedAt: Date.parse(value.startedAt) } : null);
    });
    return { known, life };
  }

  async usersOn(gatewayId: string): Promise<string[]> {
    return this.redis.smembers(RedisKeys.presenceGatewayUsers(gatewayId));
  }

  /** The gateway is gone (or its users were all checked after a restart). */
  async forgetGateway(gatewayId: string, startedAt: number | null): Promise<void> {
    const tx = this.redis.multi();
    if (startedAt === null) {
      tx.hdel(RedisKeys.presenceGateways, gatewayId);
      tx.del(RedisKeys.presenceGatewayUsers(gatewayId));
    } else {
      tx.hset(RedisKeys.presenceGateways, gatewayId, String(startedAt));
    }
    await execOrThrow(tx);
  }

  /** Users who no longer have a socket on the gateway leave its set. */
  async leaveGateway(gatewayId: string, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.redis.srem(RedisKeys.presenceGatewayUsers(gatewayId), ...userIds);
  }

  /** Applies what the user's sockets say now (see COMMIT_STATE); true when watchers were told. */
  async commitState(
    userId: string,
    online: boolean,
    now: number,
    graceMs: number,
  ): Promise<boolean> {
    const told = await this.redis.presenceCommitState(
      RedisKeys.presence(userId),
      RedisKeys.presenceOfflineDue,
      RedisKeys.presenceStorm,
      online ? '1' : '0',
      now,
      graceMs,
      userId,
      this.channel(userId),
      this.config.PRESENCE_RECONNECTS_PER_S,
    );
    return told === 1;
  }

  /**
   * The storm level now: offlines begun and not yet drained at PRESENCE_RECONNECTS_PER_S, i.e.
   * how many devices the cluster would still be taking back if they all return. Above one
   * second's worth, a reconnect storm is under way.
   */
  async stormLevel(now: number): Promise<number> {
    const [level, at] = await this.redis.hmget(RedisKeys.presenceStorm, 'level', 'at');
    if (level === null || at === null) return 0;
    const drained = ((now - Number(at)) * this.config.PRESENCE_RECONNECTS_PER_S) / 1000;
    return Math.max(0, Number(level) - drained);
  }

  /** Users whose offline is due by `now` (oldest first). */
  dueOffline(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(RedisKeys.presenceOfflineDue, '-inf', now, 'LIMIT', 0, limit);
  }

  /**
   * Tells watchers the user went offline if it is still due (see COMMIT_OFFLINE): the last seen to
   * write (epoch ms), or null when there is nothing to write; undefined when it was not due.
   */
  async commitOffline(userId: string, now: number): Promise<number | null | undefined> {
    const result = await this.redis.presenceCommitOffline(
      RedisKeys.presence(userId),
      RedisKeys.presenceOfflineDue,
      userId,
      this.channel(userId),
      now,
    );
    if (result < 0) return undefined;
    return result > 0 ? result : null;
  }

  /**
   * Takes users' activity (see NOTE_ACTIVITY), a few hundred per script: the users whose last
   * seen is due for PostgreSQL, with the time to write.
   */
  async noteActivity(
    activity: readonly { userId: string; at: number }[],
    now: number,
    writeIntervalMs: number,
  ): Promise<{ userId: string; at: number }[]> {
    const due: { userId: string; at: number }[] = [];
    for (let i = 0; i < activity.length; i += ACTIVITY_PER_CALL) {
      const chunk = activity.slice(i, i + ACTIVITY_PER_CALL);
      const writes = await this.redis.presenceNoteActivity(
        chunk.length,
        ...chunk.map((a) => RedisKeys.presence(a.userId)),
        now,
        writeIntervalMs,
        ...chunk.flatMap((a) => [a.at, a.userId, this.channel(a.userId)]),
      );
      chunk.forEach((a, k) => {
        const at = Number(writes[k] ?? 0);
        if (at > 0) due.push({ userId: a.userId, at });
      });
    }
    return due;
  }
}
