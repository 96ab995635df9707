/**
 * Micro-benchmark of the fan-out's route look-up (DeviceLocationsRepository.findConnectionsAndLive:
 * every recipient's sockets and which gateways are live), as storage runs it once per group
 * commit, against the real Redis: 1,000 users with one or two sockets each, two live gateways,
 * `users` recipients per look-up. Reports the client's CPU, Redis's CPU (`INFO cpu`, so keep the
 * machine otherwise quiet) and the wall time per look-up.
 *
 *   npm run build && node dist/tools/bench/route-lookup.bench.js [look-ups] [users] [redis-url]
 *
 * The default URL is Redis's database 13 on loopback; the benchmark's keys carry a cluster prefix
 * of their own and are deleted at the end.
 */
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { DeviceLocationsRepository } from '@parley/common/redis/device-locations.repository';
import { RedisKeys, redisKeyPrefix } from '@parley/common/redis/redis-values';
import { positiveInt } from './bench-inputs';

const POPULATION = 1_000;
const GATEWAYS = ['gateway-1', 'gateway-2'];

/** Redis's own CPU so far, in µs (user + system). */
async function redisCpuUs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

async function main(): Promise<void> {
  const lookups = positiveInt(process.argv[2], 5_000);
  const perLookup = positiveInt(process.argv[3], 26);
  const url = process.argv[4] ?? 'redis://127.0.0.1:6379/13';
  const redis = new Redis(url, { keyPrefix: redisKeyPrefix(`bench-${process.pid}`) });
  const locations = new DeviceLocationsRepository(redis);
  const users = Array.from({ length: POPULATION }, () => randomUUID());
  try {
    const since = new Date().toISOString();
    await locations.apply(
      users.flatMap((userId, i) =>
        GATEWAYS.slice(0, 1 + (i % 2)).map((gatewayId, d) => ({
          userId,
          connectionId: randomUUID(),
          deviceId: `device-${d}`,
          gatewayId,
          since,
        })),
      ),
      [],
    );
    for (const id of GATEWAYS) await redis.set(RedisKeys.gateway(id), '{}', 'PX', 600_000);
    const recipients = (round: number) =>
      Array.from({ length: perLookup }, (_, k) => users[(round * 37 + k * 13) % POPULATION]);
    const run = async (rounds: number) => {
      for (let round = 0; round < rounds; round++) {
        await locations.findConnectionsAndLive(recipients(round), GATEWAYS);
      }
    };
    await run(Math.min(1_000, lookups));
    const redisBefore = await redisCpuUs(redis);
    const cpu = process.cpuUsage();
    const wall = process.hrtime.bigint();
    await run(lookups);
    const wallUs = Number(process.hrtime.bigint() - wall) / 1000;
    const used = process.cpuUsage(cpu);
    const redisUs = (await redisCpuUs(redis)) - redisBefore;
    console.log(
      `${lookups} look-ups of ${perLookup} users and ${GATEWAYS.length} gateways: ` +
        `client ${((used.user + used.system) / lookups).toFixed(1)} µs CPU, ` +
        `Redis ${(redisUs / lookups).toFixed(1)} µs CPU, ${(wallUs / lookups).toFixed(1)} µs wall ` +
        'per look-up',
    );
  } finally {
    await redis.del(
      ...users.map((id) => RedisKeys.userConnections(id)),
      ...GATEWAYS.map((id) => RedisKeys.gateway(id)),
    );
    await redis.quit();
  }
}

void main();
