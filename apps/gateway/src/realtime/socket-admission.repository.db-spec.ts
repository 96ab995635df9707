import { deviceLocationSchema, RedisKeys, redisKeyPrefix } from '@parley/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { type SocketClaim, SocketAdmissionRepository } from './socket-admission.repository';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/14';

describe('SocketAdmissionRepository (real Redis)', () => {
  let redis: Redis;
  let admissions: SocketAdmissionRepository;
  const cluster = `admitspec-${process.pid}`;
  let userId: string;

  const claim = (deviceId: string, gatewayId = 'g-1', instanceId = 'i-1'): SocketClaim => ({
    userId,
    connectionId: randomUUID(),
    deviceId,
    gatewayId,
    instanceId,
  });
  const routing = async () => {
    const hash = await redis.hgetall(RedisKeys.userConnections(userId));
    return Object.fromEntries(
      Object.entries(hash).map(([id, raw]) => [id, deviceLocationSchema.parse(JSON.parse(raw))]),
    );
  };

  beforeEach(async () => {
    redis = new Redis(REDIS_URL, { keyPrefix: redisKeyPrefix(cluster) });
    admissions = new SocketAdmissionRepository(redis);
    userId = randomUUID();
    await admissions.claimInstance('g-1', 'i-1', 60_000);
    await admissions.claimInstance('g-2', 'i-2', 60_000);
  });
  afterEach(async () => {
    await redis.del(
      RedisKeys.userSockets(userId),
      RedisKeys.userConnections(userId),
      RedisKeys.gatewayInstance('g-1'),
      RedisKeys.gatewayInstance('g-2'),
    );
    redis.disconnect();
  });

  it('makes an admitted socket routable in the same step, and a released one unroutable', async () => {
    const phone = claim('phone');
    expect(await admissions.admit(phone, 5)).toEqual({ admitted: true, replaced: [] });
    const routed = await routing(); // each entry parsed as session reads it (since: ISO time)
    expect(Object.keys(routed)).toEqual([phone.connectionId]);
    expect(routed[phone.connectionId]).toMatchObject({ deviceId: 'phone', gatewayId: 'g-1' });
    await admissions.release(userId, phone.connectionId);
    expect(await routing()).toEqual({});
    expect(await redis.hlen(RedisKeys.userSockets(userId))).toBe(0);
  });

  it('takes a replaced socket of the same device out of routing', async () => {
    const old = claim('phone', 'g-2', 'i-2');
    await admissions.admit(old, 5);
    const fresh = claim('phone');
    expect(await admissions.admit(fresh, 5)).toEqual({
      admitted: true,
      replaced: [old.connectionId],
    });
    expect(Object.keys(await routing())).toEqual([fresh.connectionId]);
  });

  it('prunes sockets of a gateway process that is gone, from the cap and from routing', async () => {
    const stale = claim('laptop', 'g-2', 'i-2');
    await admissions.admit(stale, 1);
    await admissions.claimInstance('g-2', 'i-3', 60_000); // g-2 restarted: a new process
    const phone = claim('phone');
    expect(await admissions.admit(phone, 1)).toEqual({ admitted: true, replaced: [] });
    expect(Object.keys(await routing())).toEqual([phone.connectionId]);
  });

  it('refuses over the cap and routes nothing for the refused socket', async () => {
    await admissions.admit(claim('phone'), 1);
    const laptop = claim('laptop');
    expect(await admissions.admit(laptop, 1)).toEqual({ admitted: false });
    expect(Object.keys(await routing())).not.toContain(laptop.connectionId);
  });

  it('writes open sockets back after Redis lost its data, unless their device has a newer one since', async () => {
    const phone = claim('phone');
    const laptop = claim('laptop', 'g-2', 'i-2');
    await admissions.admit(phone, 5);
    await admissions.admit(laptop, 5);
    await redis.del(RedisKeys.userSockets(userId)); // the data is gone
    const newerPhone = claim('phone', 'g-2', 'i-2');
    await admissions.admit(newerPhone, 5); // replaced nothing: the hash was empty
    expect(await admissions.readmit([phone, laptop])).toEqual([phone.connectionId]);
    expect(Object.keys(await redis.hgetall(RedisKeys.userSockets(userId))).sort()).toEqual(
      [laptop.connectionId, newerPhone.connectionId].sort(),
    );
    // The cap holds again: two sockets now count.
    expect(await admissions.admit(claim('tablet'), 2)).toEqual({ admitted: false });
    expect(await admissions.readmit([])).toEqual([]);
  });

  it('tells which sockets a newer one of their device replaced, and not those Redis merely lost', async () => {
    const oldPhone = claim('phone', 'g-2', 'i-2');
    const laptop = claim('laptop', 'g-2', 'i-2');
    await admissions.admit(oldPhone, 5);
    await admissions.admit(laptop, 5);
    await admissions.admit(claim('phone'), 5); // the phone reconnected on g-1
    const lost = { ...claim('tablet'), userId: randomUUID() }; // a user whose hash is gone
    expect(await admissions.replacedAmong([oldPhone, laptop, lost])).toEqual([
      oldPhone.connectionId,
    ]);
    expect(await admissions.replacedAmong([])).toEqual([]);
  });
});
