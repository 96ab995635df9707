import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
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

function parseLocation(raw: string): DeviceLocation | null {
  return parseRedisValue(deviceLocationSchema, raw);
}

/**
 * Where devices are, in Redis: session writes it from connection events, storage's fan-out reads
 * it after each commit. Per user a hash `RedisKeys.userConnections(userId)` of
 * connectionId -> JSON {deviceId, gatewayId, since}; the live-gateway directory tells which
 * gateway boxes are still up (`RedisKeys.gateway(id)` exists).
 */
@Injectable()
export class DeviceLocationsRepository {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

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
   * has seen before, so it needs no second one).
   */
  async findConnectionsAndLive(
    userIds: readonly string[],
    gatewayIds: readonly string[],
  ): Promise<{ connections: Map<string, DeviceConnection[]>; live: Set<string> }> {
    const found = new Map<string, DeviceConnection[]>();
    if (userIds.length === 0 && gatewayIds.length === 0) {
      return { connections: found, live: new Set() };
    }
    const pipeline = this.redis.pipeline();
    for (const userId of userIds) pipeline.hgetall(RedisKeys.userConnections(userId));
    for (const id of gatewayIds) pipeline.exists(RedisKeys.gateway(id));
    const results = await execOrThrow(pipeline);
    const live = new Set(gatewayIds.filter((_, i) => results[userIds.length + i] === 1));
    userIds.forEach((userId, i) => {
      const hash = (results[i] ?? {}) as Record<string, string>;
      const connections: DeviceConnection[] = [];
      for (const [connectionId, raw] of Object.entries(hash)) {
        const value = parseLocation(raw);
        if (value) connections.push({ userId, connectionId, ...value });
      }
      found.set(userId, connections);
    });
    return { connections: found, live };
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
