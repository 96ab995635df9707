import { Inject, Injectable } from '@nestjs/common';
import { type DeviceLocation, REDIS, RedisKeys } from '@parley/common';
import Redis from 'ioredis';

/**
 * Admits one socket for a user, atomically across gateways. The user's hash holds one field per
 * open socket: connectionId -> "gatewayId instanceId deviceId". Entries of a gateway instance
 * that is no longer running (its instance key expired or names a newer process) are pruned on
 * the way; a socket of the same device is *replaced* (its connection id returned, to be closed);
 * if the remaining sockets already reach the cap the new one is refused.
 *
 * An admitted socket is routable in the same step: its device location goes into the user's
 * routing hash (`RedisKeys.userConnections`, the one storage fans out from), and the replaced and
 * pruned sockets leave it. Session writes the same field again when it consumes
 * connection.opened (idempotent), but a new socket no longer waits for that Kafka round trip
 * before its first sync (DeviceRoutingProbe).
 *
 * KEYS[1] the user's socket hash, KEYS[2] the user's routing hash; ARGV: connectionId, gatewayId,
 * instanceId, deviceId, maxSockets, instance key prefix and suffix (RedisKeys.gatewayInstance),
 * the device location (JSON). Returns {admitted(0|1), replaced...}.
 */
const ADMIT_SCRIPT = `
local entries = redis.call('HGETALL', KEYS[1])
local live, replaced, instances = 0, {}, {}
for i = 1, #entries, 2 do
  local id, value = entries[i], entries[i + 1]
  local gateway, instance, device = string.match(value, '^(%S+) (%S+) (%S+)$')
  local current = false
  if gateway then
    current = instances[gateway]
    if current == nil then
      current = redis.call('GET', ARGV[6] .. gateway .. ARGV[7]) or false
      instances[gateway] = current
    end
  end
  if current ~= instance then
    redis.call('HDEL', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
  elseif device == ARGV[4] then
    table.insert(replaced, id)
  else
    live = live + 1
  end
end
if live >= tonumber(ARGV[5]) then return { 0 } end
for _, id in ipairs(replaced) do
  redis.call('HDEL', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[4])
redis.call('PEXPIRE', KEYS[1], 604800000)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[8])
local out = { 1 }
for _, id in ipairs(replaced) do table.insert(out, id) end
return out
`;

/**
 * An open socket written back into its user's hash after Redis lost its data. KEYS[1] the user's
 * socket hash; ARGV: connectionId, gatewayId, instanceId, deviceId. Another socket of the same
 * device there was admitted after the loss, so it is the newer: returns 0 (this one is replaced)
 * and writes nothing; else 1.
 */
const READMIT_SCRIPT = `
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  if entries[i] ~= ARGV[1] and string.match(entries[i + 1], '^%S+ %S+ (%S+)$') == ARGV[4] then
    return 0
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[4])
redis.call('PEXPIRE', KEYS[1], 604800000)
return 1
`;

/** Renews this process's instance key only while it still names this process. */
const RENEW_INSTANCE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

const DROP_INSTANCE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface SocketClaim {
  userId: string;
  connectionId: string;
  deviceId: string;
  gatewayId: string;
  instanceId: string;
}

export type Admission = { admitted: true; replaced: string[] } | { admitted: false };

const [INSTANCE_PREFIX, INSTANCE_SUFFIX] = RedisKeys.gatewayInstance('\u0000').split('\u0000');

/** Every user's open sockets, in Redis: the socket cap and one socket per device. */
@Injectable()
export class SocketAdmissionRepository {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async admit(claim: SocketClaim, maxSockets: number): Promise<Admission> {
    const reply = (await this.redis.eval(
      ADMIT_SCRIPT,
      2,
      RedisKeys.userSockets(claim.userId),
      RedisKeys.userConnections(claim.userId),
      claim.connectionId,
      claim.gatewayId,
      claim.instanceId,
      claim.deviceId,
      String(maxSockets),
      // The script builds these keys itself, so the connection's cluster prefix is added here.
      `${this.redis.options.keyPrefix ?? ''}${INSTANCE_PREFIX}`,
      INSTANCE_SUFFIX,
      JSON.stringify({
        deviceId: claim.deviceId,
        gatewayId: claim.gatewayId,
        since: new Date().toISOString(),
      } satisfies DeviceLocation),
    )) as (number | string)[];
    if (Number(reply[0]) !== 1) return { admitted: false };
    return { admitted: true, replaced: reply.slice(1).map(String) };
  }

  /**
   * Redis lost its data: these open sockets go back into their users' hashes (the cap and one
   * socket per device hold again). Resolves to those a newer socket of the same device, admitted
   * since the loss, replaced (to be closed).
   */
  async readmit(claims: readonly SocketClaim[]): Promise<string[]> {
    const answers = await Promise.all(
      claims.map((claim) =>
        this.redis.eval(
          READMIT_SCRIPT,
          1,
          RedisKeys.userSockets(claim.userId),
          claim.connectionId,
          claim.gatewayId,
          claim.instanceId,
          claim.deviceId,
        ),
      ),
    );
    return claims.filter((_, i) => Number(answers[i]) === 0).map((c) => c.connectionId);
  }

  /**
   * Which of these sockets a newer socket of the same device replaced: the user's hash no longer
   * holds the socket but holds another of its device (admission swaps one for the other). One
   * round trip. A hash that lost the socket without another of its device (Redis lost its data)
   * replaced nothing.
   */
  async replacedAmong(
    sockets: readonly Pick<SocketClaim, 'userId' | 'connectionId' | 'deviceId'>[],
  ): Promise<string[]> {
    const users = [...new Set(sockets.map((s) => s.userId))];
    if (users.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const userId of users) pipeline.hgetall(RedisKeys.userSockets(userId));
    const results = (await pipeline.exec()) ?? [];
    const held = new Map<string, Record<string, string>>();
    results.forEach(([err, hash], i) => {
      if (err) throw err;
      held.set(users[i], hash as Record<string, string>);
    });
    return sockets
      .filter(({ userId, connectionId, deviceId }) => {
        const hash = held.get(userId) ?? {};
        if (connectionId in hash) return false;
        return Object.values(hash).some((value) => value.split(' ')[2] === deviceId);
      })
      .map((s) => s.connectionId);
  }

  /** A closed socket: off the cap and out of routing at once (session's closed event follows). */
  async release(userId: string, connectionId: string): Promise<void> {
    await this.redis
      .multi()
      .hdel(RedisKeys.userSockets(userId), connectionId)
      .hdel(RedisKeys.userConnections(userId), connectionId)
      .exec();
  }

  /** This process is now the running instance of `gatewayId` (a restart takes over at once). */
  async claimInstance(gatewayId: string, instanceId: string, ttlMs: number): Promise<void> {
    await this.redis.set(RedisKeys.gatewayInstance(gatewayId), instanceId, 'PX', ttlMs);
  }

  /** False if another process took over this gateway id. */
  async renewInstance(gatewayId: string, instanceId: string, ttlMs: number): Promise<boolean> {
    const renewed = await this.redis.eval(
      RENEW_INSTANCE_SCRIPT,
      1,
      RedisKeys.gatewayInstance(gatewayId),
      instanceId,
      String(ttlMs),
    );
    return Number(renewed) === 1;
  }

  async dropInstance(gatewayId: string, instanceId: string): Promise<void> {
    await this.redis.eval(
      DROP_INSTANCE_SCRIPT,
      1,
      RedisKeys.gatewayInstance(gatewayId),
      instanceId,
    );
  }
}
