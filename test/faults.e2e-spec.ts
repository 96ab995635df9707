import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { RedisChannels, RedisKeys, redisKeyPrefix } from '@parley/common';
import { formatHistoryCheck } from '../tools/faults/history-checker';
import { controlProxy, setStorageDatabaseBlocked } from '@parley/testing';
import type { AckFrame, PresenceFrame, SyncResetFrame } from '@parley/protocol';
import { createAccount, logIn, ParleyTestClient, postJson } from '@parley/testing';
import { FaultRun, percentiles, waitUntil } from './support/faults/fault-run';
import { ready, StackControl } from './support/stack-control';
import { acked, change, pushed, send } from './support/frames';
import { SyncDevice } from './support/sync-device';
import { testStack, wsUrlOf } from './support/test-stack';

/**
 * The fault suite: the real stack under steady load from devices that behave as the client
 * library does (outbox, resend with the same id, reconnect through the directory, sync v2), one
 * fault at a time. Every run ends with the history checker's counters at 0 (nothing lost,
 * doubled, divergent, out of order, gapped, phantom or unresolved) and every device converged
 * (each reconnects and syncs at the end, as a returning user does), and reports its recovery time.
 *
 * CI runs the short version; `npm run faults` (FAULTS_FULL=1) the full one: 200 devices at 300
 * messages/s, 20 s outages (FAULTS_PAIRS and FAULTS_RATE change the load, e.g. 500 pairs at 0.3/s
 * for the 1,000-device failover figure; FAULTS_BEFORE_MS the load before each fault, 5 s full and
 * 3 s short, e.g. 40 s to fail over on a stack whose code paths are warm). The table is printed
 * and written to .data/faults/last-run.{json,md}.
 */
const FULL = process.env.FAULTS_FULL === '1';
const LOAD = {
  pairs: Number(process.env.FAULTS_PAIRS ?? (FULL ? 100 : 10)),
  ratePerDevice: Number(process.env.FAULTS_RATE ?? (FULL ? 1.5 : 2)),
};
const BEFORE_MS = Number(process.env.FAULTS_BEFORE_MS ?? (FULL ? 5_000 : 3_000));
const AFTER_MS = FULL ? 20_000 : 6_000;
const OUTAGE_MS = FULL ? 20_000 : 8_000;

const stack = testStack();
const ROOT = join(__dirname, '..');
const gatewayUrl = (name: string) => stack.gateways[Number(name.split('-')[1]) - 1];

interface Row {
  fault: string;
  devices: number;
  sends: number;
  recovery: string;
  result: string;
}
const rows: Row[] = [];

let run: FaultRun | undefined;
afterEach(async () => {
  await run?.stop();
  run = undefined;
});

afterAll(() => {
  const header =
    '| fault | devices | sends | recovery | checker |\n| --- | --- | --- | --- | --- |';
  const table = [
    header,
    ...rows.map((r) => `| ${r.fault} | ${r.devices} | ${r.sends} | ${r.recovery} | ${r.result} |`),
  ].join('\n');
  process.stdout.write(`\nfault suite (${FULL ? 'full' : 'short'}):\n${table}\n`);
  const dir = join(ROOT, '.data', 'faults');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'last-run.json'),
    JSON.stringify({ full: FULL, load: LOAD, rows }, null, 2),
  );
  writeFileSync(join(dir, 'last-run.md'), `${table}\n`);
});

/**
 * One scenario: devices online, load for BEFORE_MS, the fault (its own recovery included), load
 * for AFTER_MS, then every send settles, every device syncs, and the checker reads the history
 * against PostgreSQL.
 */
async function scenario(fault: string, inject: (run: FaultRun) => Promise<string>): Promise<void> {
  run = await FaultRun.start(
    stack.gateways,
    stack.databaseUrl,
    LOAD,
    fault.replace(/\W/g, '').slice(0, 6),
  );
  run.startLoad(LOAD.ratePerDevice);
  await delay(BEFORE_MS);
  const recovery = await inject(run);
  await delay(AFTER_MS);
  const { result, sends } = await run.finishAndCheck();
  rows.push({
    fault,
    devices: run.devices.length,
    sends,
    recovery,
    result: formatHistoryCheck(result),
  });
  if (!result.ok) {
    throw new Error(
      `${fault}: ${formatHistoryCheck(result)}\n${JSON.stringify(result.examples, null, 2)}`,
    );
  }
}

/** From `since` to the first ack of a send made after it, over all devices. */
function acksResumed(run: FaultRun, since: number): number {
  const first = Math.min(
    ...run.devices.flatMap((d) => d.acks.filter((a) => a.sentAt >= since).map((a) => a.at)),
  );
  return first - since;
}

const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'never');

/** Kills a service with SIGKILL and waits until the launcher's new process answers ready. */
async function killAndWait(
  name: string,
  url: string,
): Promise<{ killedAt: number; readyAt: number }> {
  const killedAt = Date.now();
  const pid = StackControl.signal(name, 'SIGKILL');
  await StackControl.waitReplaced(name, pid, url);
  return { killedAt, readyAt: Date.now() };
}

describe('fault suite: one fault at a time under load, nothing lost, doubled or reordered', () => {
  jest.setTimeout(FULL ? 600_000 : 240_000);

  it('kill -9 a gateway: its devices fail over to the other within seconds', async () => {
    await scenario('kill -9 gateway', async (r) => {
      const victim = 'gateway-1';
      const onVictim = r.devices.filter((d) => d.gatewayId === victim);
      expect(onVictim.length).toBeGreaterThan(0);
      const killedAt = Date.now();
      const pid = StackControl.signal(victim, 'SIGKILL');
      // What a user typing at that moment sees: a message written right after the gateway died,
      // from every device it held, until its ack (reconnect elsewhere, resend, store).
      const probes = onVictim.map((d) => ({ d, id: r.sendFrom(d) }));
      await waitUntil(
        () => probes.every(({ d, id }) => d.ackAt(id) !== undefined),
        "every probe send of the killed gateway's devices acknowledged",
        30_000,
      );
      // The stages below read each device's first sync after the kill: its ack may come first.
      await waitUntil(
        () => onVictim.every((d) => d.synced.some((t) => t > killedAt)),
        'every device of the killed gateway synced again',
        30_000,
      );
      // Each device's first moment past the kill at every step of the way back.
      const stage = (times: (d: (typeof onVictim)[number]) => number[]) => {
        const q = percentiles(
          onVictim.map((d) => (times(d).find((t) => t > killedAt) ?? 0) - killedAt),
        );
        return `p50 ${q.p50} / p99 ${q.p99}`;
      };
      const p = percentiles(probes.map(({ d, id }) => (d.ackAt(id) as number) - killedAt));
      const tries = onVictim.map((d) => d.attempts.filter((a) => a.at > killedAt));
      const failures = new Map<string, number>();
      for (const t of tries) {
        for (const { after = '?' } of t.slice(1))
          failures.set(after, (failures.get(after) ?? 0) + 1);
      }
      // Each device came back with its socket's resume ticket: no directory request before its
      // first hello after the kill.
      const firstHello = (d: (typeof onVictim)[number]) =>
        d.hellos.find((h) => h.at > killedAt)?.at ?? Number.POSITIVE_INFINITY;
      const askedDirectory = onVictim.filter((d) =>
        d.directoryRequests.some((t) => t > killedAt && t < firstHello(d)),
      );
      expect(askedDirectory.map((d) => d.name)).toEqual([]);
      // Directory requests any device made after the kill (after its hello: a later drop).
      const directoryAfter = r.devices.reduce(
        (n, d) => n + d.directoryRequests.filter((t) => t > killedAt).length,
        0,
      );
      // How fast the survivors took them: devices with a hello by 1, 2, 3 and 5 s after the kill.
      const helloBy = [1_000, 2_000, 3_000, 5_000].map(
        (ms) => onVictim.filter((d) => firstHello(d) - killedAt <= ms).length,
      );
      await StackControl.waitReplaced(victim, pid, gatewayUrl(victim));
      // The issue's bar: p99 at most 3 s, none over 5 s (read the figures; asserting a bound here
      // would make a timing test on a shared 2-core machine, so only "within the wait" is checked).
      return (
        `a send made at the kill acked after p50 ${p.p50} / p99 ${p.p99} / max ${p.max} ms ` +
        `(${onVictim.length} devices; drop noticed ${stage((d) => d.offline)}, ` +
        `first connect attempt ${stage((d) => d.attempts.map((a) => a.at))}, ` +
        `hello ${stage((d) => d.hellos.map((h) => h.at))}, synced ${stage((d) => d.synced)} ms; ` +
        `hello by 1/2/3/5 s: ${helloBy.join('/')}; ` +
        `retried: ${[...failures].map(([why, n]) => `${n}x ${why}`).join(', ') || 'none'}; ` +
        `resumed without the directory: all; directory requests after the kill: ${directoryAfter})`
      );
    });
  });

  it('kill -9 storage (while messages are committed): replaced and consuming again, redeliveries absorbed', async () => {
    await scenario('kill -9 storage', async (r) => {
      const { killedAt, readyAt } = await killAndWait('storage', stack.storage);
      await waitUntil(
        () => acksResumed(r, killedAt) < Number.POSITIVE_INFINITY,
        'acks again',
        30_000,
      );
      return `restarted in ${ms(readyAt - killedAt)}; acks resumed ${ms(acksResumed(r, killedAt))} after the kill`;
    });
  });

  it('kill -9 session (the directory and device table): replaced, acks and deliveries go on, nothing lost', async () => {
    await scenario('kill -9 session', async (r) => {
      const { killedAt, readyAt } = await killAndWait('session', stack.session);
      await waitUntil(
        () => acksResumed(r, killedAt) < Number.POSITIVE_INFINITY,
        'acks again',
        30_000,
      );
      return `restarted in ${ms(readyAt - killedAt)}; acks resumed ${ms(acksResumed(r, killedAt))} after the kill`;
    });
  });

  it('Redis loses its data (FLUSHDB): live delivery resumes without any device reconnecting', async () => {
    await scenario('Redis FLUSHDB', async (r) => {
      const redis = new Redis(stack.redisUrl, { keyPrefix: redisKeyPrefix(stack.clusterId) });
      const hellosBefore = r.devices.reduce((n, d) => n + d.hellos.length, 0);
      const flushedAt = Date.now();
      try {
        await redis.flushdb();
      } finally {
        await redis.quit();
      }
      const liveAgain = () =>
        Math.min(
          ...r.devices.flatMap((d) =>
            d.liveReceives
              .filter((l) => l.at > flushedAt && r.sentAt(l.clientMsgId) > flushedAt + 50)
              .map((l) => l.at),
          ),
        );
      await waitUntil(
        () => liveAgain() < Number.POSITIVE_INFINITY,
        'a live delivery after the flush',
        30_000,
      );
      // Every device still receives live pushes on the socket it had.
      await waitUntil(
        () => r.devices.every((d) => d.liveReceives.some((l) => l.at > flushedAt + 3_000)),
        'every device receiving live again',
        30_000,
      );
      const hellosAfter = r.devices.reduce((n, d) => n + d.hellos.length, 0);
      expect(hellosAfter).toBe(hellosBefore);
      return `live delivery again ${ms(liveAgain() - flushedAt)} after the flush, 0 reconnects`;
    });
  });

  it('Redis loses its data while a conversation is quiet: the online device still gets what was stored meanwhile, without reconnecting', async () => {
    await withQuietConversation('q', async ({ bob, phone, alice, conversationId }) => {
      // Session stopped: the gateways re-assert their sockets, but nobody writes the routes back,
      // so the send below is stored and pushed to no socket of Alice's.
      StackControl.signal('session', 'SIGSTOP');
      let meanwhile: AckFrame;
      try {
        const redis = new Redis(stack.redisUrl, { keyPrefix: redisKeyPrefix(stack.clusterId) });
        try {
          await redis.flushdb();
        } finally {
          await redis.quit();
        }
        meanwhile = await sendOne(bob, alice, 'meanwhile');
      } finally {
        StackControl.signal('session', 'SIGCONT');
      }
      expect(meanwhile.seq).toBe(2);
      // No later message in the conversation shows a hole: the gateway asks for a round itself.
      await waitUntil(
        () => phone.seqs(conversationId).length === 2,
        'the message stored while the routes were lost',
        30_000,
      );
      const carried = SyncDevice.carried(phone.sockets[0] ?? []);
      expect(carried.find((c) => c.seq === 2)?.kind).toBe('sync.messages');
    });
  }, 90_000);

  it("Redis loses its data: a session ended before stays ended on every gateway; the user's other session does not", async () => {
    const [gateway1, gateway2] = stack.gateways;
    const dave = await createAccount(gateway1, 'rse');
    const other = await logIn(gateway2, dave.username, dave.password);
    const me = async (gateway: string, token: string) =>
      (await fetch(`${gateway}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } }))
        .status;
    const out = await postJson(
      `${gateway2}/v1/auth/logout`,
      { refreshToken: dave.refreshToken },
      dave.accessToken,
    );
    expect(out.status).toBe(204);
    expect(await me(gateway1, dave.accessToken)).toBe(401);

    const redis = new Redis(stack.redisUrl, { keyPrefix: redisKeyPrefix(stack.clusterId) });
    try {
      await redis.flushdb();
    } finally {
      await redis.quit();
    }
    // Within a beat a gateway finds the data gone and marks the session ended again.
    await waitUntil(
      async () => (await me(gateway1, dave.accessToken)) === 401,
      'the ended session refused again',
      30_000,
    );
    expect(await me(gateway2, dave.accessToken)).toBe(401);
    expect(await me(gateway1, other.accessToken)).toBe(200);
  }, 60_000);

  it('Redis loses its data: a device that then reconnects on the other gateway still replaces its old socket', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const erin = await createAccount(gateway1, 'rsr');
    const old = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), erin, 'phone');
    const redis = new Redis(stack.redisUrl, { keyPrefix: redisKeyPrefix(stack.clusterId) });
    let fresh: ParleyTestClient | undefined;
    try {
      await redis.flushdb();
      // Within a beat gateway 1 finds the data gone and writes its sockets back.
      await waitUntil(
        async () => (await redis.hlen(RedisKeys.userSockets(erin.id))) === 1,
        'the socket written back into its user’s hash',
        30_000,
      );
      // Written back after the gateway's instance key, without which the entry counts as dead.
      expect(await redis.exists(RedisKeys.gatewayInstance('gateway-1'))).toBe(1);
      fresh = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), erin, 'phone');
      expect(await old.waitClosed(15_000)).toBe(4003);
      expect(fresh.closeCode).toBeUndefined();
    } finally {
      await redis.quit();
      old.close();
      fresh?.close();
    }
  }, 60_000);

  it('a first round that could not wait for session: once session routes to the socket, the device syncs again and gets what was stored meanwhile', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const alice = await createAccount(gateway1, 'rwa');
    const bob = await ParleyTestClient.connect(gateway2, await createAccount(gateway2, 'rwb'));
    const redis = new Redis(stack.redisUrl, { keyPrefix: redisKeyPrefix(stack.clusterId) });
    let phone: ParleyTestClient | undefined;
    try {
      const { conversationId } = await sendOne(bob, alice.username, 'before');
      // Session stopped, and the route the admission wrote lost: nobody routes to the socket
      // until session consumes its connection.opened.
      StackControl.signal('session', 'SIGSTOP');
      let meanwhile: AckFrame;
      try {
        phone = await ParleyTestClient.connect(gateway1, alice, 'phone', { sync: 'v2' });
        await redis.del(RedisKeys.userConnections(alice.id));
        await phone.syncFresh(30_000); // waits SYNC_ROUTABLE_WAIT_MS, then reads anyway
        meanwhile = await sendOne(bob, alice.username, 'meanwhile'); // pushed to no socket
      } finally {
        StackControl.signal('session', 'SIGCONT');
      }
      expect(meanwhile.seq).toBe(2);
      await phone.next((f) => f.type === 'sync.required' && f.reason === 'gap', 30_000);
      phone.send({
        type: 'sync.states',
        ref: 'again',
        states: [{ conversationId, tail: true }],
        last: true,
      });
      const reset = await phone.next<SyncResetFrame>(
        (f) => f.type === 'sync.reset' && f.conversationId === conversationId,
        30_000,
      );
      expect(reset.lastSeq).toBe(2);
      expect(reset.messages.map((m) => m.seq)).toEqual([1, 2]);
      expect(phone.closeCode).toBeUndefined();
    } finally {
      await redis.quit();
      phone?.close();
      bob.close();
    }
  }, 90_000);

  it("Redis drops the gateways' subscriptions: each online device syncs once on the socket it has, and pushes flow after", async () => {
    await withQuietConversation('k', async ({ phone }) => {
      // What is published while a subscriber is away is gone: the gateway cannot know what it
      // missed, so the device must sync.
      const redis = new Redis(stack.redisUrl);
      try {
        await redis.client('KILL', 'TYPE', 'pubsub');
      } finally {
        await redis.quit();
      }
      await phone.waitSynced(2, 30_000);
    });
  }, 90_000);

  it("a gateway's Redis connections stall without closing: it drops them, subscribes again, makes up for the gap, and pushes flow after", async () => {
    const [gateway1, gateway2] = stack.gateways;
    const alice = await createAccount(gateway1, 'sla');
    const a = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice);
    const bob = await ParleyTestClient.connectTo(
      gateway2,
      wsUrlOf(gateway2),
      await createAccount(gateway2, 'slb'),
    );
    const redis = new Redis(stack.redisUrl);
    try {
      const first = await sendOne(bob, alice.username, 'before');
      await pushed(a, first.conversationId, first.seq);
      const deliveries = RedisChannels.delivery(stack.clusterId, 'gateway-1');
      const subscribers = async () => (await subscriberCounts(redis, [deliveries]))[0];
      expect(await subscribers()).toBe(1);
      const gapsBefore = await controlGaps(gateway1);

      // Every connection gateway 1 has to Redis stops answering; none is closed or reset, so only
      // its own liveness watch can tell (TCP's keep-alive would take hours).
      const { stalled } = await controlProxy(stack.firstGatewayRedisProxy, 'stall');
      expect(stalled).toBeGreaterThan(0);
      const meanwhile = await sendOne(bob, alice.username, 'meanwhile');
      expect(meanwhile.seq).toBe(first.seq + 1);

      await waitUntil(
        async () => (await controlProxy(stack.firstGatewayRedisProxy, 'status')).stalled === 0,
        'gateway 1 dropping every stalled connection',
        30_000,
      );
      await waitUntil(
        async () => (await subscribers()) === 1 && (await controlGaps(gateway1)) > gapsBefore,
        'gateway 1 subscribed again and making up for the gap',
        30_000,
      );
      // The same socket, live again.
      const after = await sendOne(bob, alice.username, 'after');
      await pushed(a, after.conversationId, after.seq);
      expect(a.closeCode).toBeUndefined();
    } finally {
      await redis.quit();
      a.close();
      bob.close();
    }
  }, 90_000);

  it('a gateway misses control messages while its subscription is down: once back, it closes ended and replaced sockets, stops pushing a channel to a member removed meanwhile, and hides presence hidden meanwhile', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const [alice, bob, carol, dave, erin] = await Promise.all(
      ['cga', 'cgb', 'cgc', 'cgd', 'cge'].map((n) => createAccount(gateway1, n)),
    );
    const admin = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), alice);
    // On gateway 1: two channel members, a session about to end, a device about to reconnect.
    const [b, c, d, e] = await Promise.all(
      [bob, carol, dave, erin].map((account) =>
        ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), account, 'phone'),
      ),
    );
    let phoneAgain: ParleyTestClient | undefined;
    const redis = new Redis(stack.redisUrl);
    try {
      const name = `Gap ${randomUUID().slice(0, 6)}`;
      const { conversationId: id } = await acked(change(admin, { op: 'create-channel', name }));
      await acked(change(b, { op: 'join' }, id));
      await acked(change(c, { op: 'join' }, id));
      const before = await acked(send(admin, id, 'before the gap'));
      await Promise.all([pushed(b, id, before.seq), pushed(c, id, before.seq)]);
      // Bob watches Alice's presence (everyone may see it, the default).
      const watchRef = randomUUID();
      b.send({ type: 'presence.watch', ref: watchRef, userIds: [alice.id] });
      await b.next<PresenceFrame>((f) => f.type === 'presence' && f.ref === watchRef);

      const channels = [
        RedisChannels.gatewayControl(stack.clusterId),
        RedisChannels.channelDeliveries(stack.clusterId),
      ];
      const subscribers = () => subscriberCounts(redis, channels);
      const [everyGateway] = await subscribers();
      const gapsBefore = await controlGaps(gateway1);

      // Gateway 1 stopped, every subscriber connection dropped: gateway 2 subscribes again at
      // once, gateway 1 only when it runs again. What is published meanwhile never reaches it.
      StackControl.signal('gateway-1', 'SIGSTOP');
      try {
        await redis.client('KILL', 'TYPE', 'pubsub');
        await waitUntil(
          async () => (await subscribers()).every((n) => n === everyGateway - 1),
          'gateway 2 subscribed again',
          10_000,
        );
        await acked(change(admin, { op: 'remove', members: [carol.username] }, id));
        const out = await postJson(
          `${gateway2}/v1/auth/logout`,
          { refreshToken: dave.refreshToken },
          dave.accessToken,
        );
        expect(out.status).toBe(204);
        phoneAgain = await ParleyTestClient.connectTo(gateway2, wsUrlOf(gateway2), erin, 'phone');
        const hide = await fetch(`${gateway2}/v1/settings`, {
          method: 'PUT',
          headers: {
            authorization: `Bearer ${alice.accessToken}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ presence: 'nobody' }),
        });
        expect(hide.status).toBe(200);
      } finally {
        StackControl.signal('gateway-1', 'SIGCONT');
      }

      // Back: gateway 1 reads again what the lost words would have said.
      expect(await d.waitClosed(30_000)).toBe(4001);
      expect(await e.waitClosed(30_000)).toBe(4003);
      // (A change of hers published after the subscription came back may come first.)
      const hidden = await b.next<PresenceFrame>(
        (f) =>
          f.type === 'presence' && f.users.some((u) => u.userId === alice.id && u.online === null),
        30_000,
      );
      expect(hidden.users).toEqual([{ userId: alice.id, online: null, lastSeenAt: null }]);
      await waitUntil(
        async () => (await controlGaps(gateway1)) > gapsBefore,
        'gateway 1 made up for the gap',
        30_000,
      );
      await waitUntil(
        async () => (await subscribers()).every((n) => n === everyGateway),
        'gateway 1 subscribed again',
        30_000,
      );
      const after = await acked(send(admin, id, 'after the gap'));
      // Bob's push and Carol's would leave gateway 1 in the same turn, from the same publish.
      await pushed(b, id, after.seq);
      await delay(500);
      const toCarol = c.frames.filter(
        (f) =>
          f.type === 'message' && f.message.conversationId === id && f.message.seq >= after.seq,
      );
      expect(toCarol).toEqual([]);
      expect([b.closeCode, c.closeCode]).toEqual([undefined, undefined]);
    } finally {
      await redis.quit();
      for (const client of [admin, b, c, d, e, phoneAgain]) client?.close();
    }
  }, 120_000);

  it("a gateway's presence channels drop while a watched user comes online: once heard again, the watch gets the state", async () => {
    const [gateway1, gateway2] = stack.gateways;
    const [alice, bob] = await Promise.all([
      createAccount(gateway1, 'pga'),
      createAccount(gateway1, 'pgb'),
    ]);
    const watcher = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice);
    const device = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), bob);
    const redis = new Redis(stack.redisUrl);
    const keys = new Redis(stack.redisUrl, { keyPrefix: redisKeyPrefix(stack.clusterId) });
    try {
      const ref = randomUUID();
      watcher.send({ type: 'presence.watch', ref, userIds: [bob.id] });
      await watcher.next<PresenceFrame>((f) => f.type === 'presence' && f.ref === ref);
      const control = RedisChannels.gatewayControl(stack.clusterId);
      const controlSubscribers = async () => (await subscriberCounts(redis, [control]))[0];
      const everyGateway = await controlSubscribers();

      // Gateway 1 (the watcher's) stopped and its subscriber connections dropped: Bob's change
      // is published while nobody hears his channel.
      StackControl.signal('gateway-1', 'SIGSTOP');
      try {
        await redis.client('KILL', 'TYPE', 'pubsub');
        await waitUntil(
          async () => (await controlSubscribers()) === everyGateway - 1,
          'gateway 2 subscribed again',
          10_000,
        );
        device.send({ type: 'presence.state', state: 'foreground' });
        await waitUntil(
          async () => (await keys.hget(RedisKeys.presence(bob.id), 'online')) === '1',
          'bob online (published)',
          10_000,
        );
      } finally {
        StackControl.signal('gateway-1', 'SIGCONT');
      }
      const online = await watcher.next<PresenceFrame>(
        (f) => f.type === 'presence' && f.users.some((u) => u.userId === bob.id && u.online),
        30_000,
      );
      expect(online.ref).toBeUndefined();
      expect(watcher.closeCode).toBeUndefined();
    } finally {
      await Promise.all([redis.quit(), keys.quit()]);
      watcher.close();
      device.close();
    }
  }, 90_000);

  it('SIGSTOP a gateway, then SIGCONT: its devices are served again and nothing is lost', async () => {
    await scenario(`SIGSTOP gateway ${OUTAGE_MS / 1000} s`, async (r) => {
      const victim = 'gateway-2';
      const onVictim = r.devices.filter((d) => d.gatewayId === victim);
      StackControl.signal(victim, 'SIGSTOP');
      const stoppedAt = Date.now();
      try {
        await delay(OUTAGE_MS);
      } finally {
        StackControl.signal(victim, 'SIGCONT');
      }
      const resumedAt = Date.now();
      await waitUntil(
        () => onVictim.every((d) => d.acks.some((a) => a.at > resumedAt)),
        'every device of the stopped gateway acked again',
        60_000,
      );
      const p = percentiles(
        onVictim.map((d) => (d.acks.find((a) => a.at > stoppedAt)?.at ?? 0) - stoppedAt),
      );
      return `first ack after the stop p50 ${p.p50} / max ${p.max} ms (${onVictim.length} devices)`;
    });
  });

  it('PostgreSQL cut off from storage: acks wait, nothing is lost, the backlog drains', async () => {
    await scenario(`PostgreSQL cut ${OUTAGE_MS / 1000} s`, async (r) => {
      await setStorageDatabaseBlocked(stack.storageDatabaseProxy, true);
      try {
        await delay(OUTAGE_MS);
      } finally {
        await setStorageDatabaseBlocked(stack.storageDatabaseProxy, false);
      }
      const restoredAt = Date.now();
      await waitUntil(() => ready(stack.storage), 'storage ready', 60_000);
      await waitUntil(
        () => acksResumed(r, restoredAt) < Number.POSITIVE_INFINITY,
        'acks again',
        60_000,
      );
      return `acks resumed ${ms(acksResumed(r, restoredAt))} after the database came back`;
    });
  });

  it('PostgreSQL stalls for storage (its connections stop answering, none closes): they are dropped, the batches on them retried, nothing is lost', async () => {
    await scenario('PostgreSQL stall', async (r) => {
      const stalledAt = Date.now();
      const { stalled } = await controlProxy(stack.storageDatabaseProxy, 'stall');
      expect(stalled).toBeGreaterThan(0);
      // Only storage's own watch can tell: nothing closed, nothing reset, nothing answered.
      await waitUntil(
        async () => (await controlProxy(stack.storageDatabaseProxy, 'status')).stalled === 0,
        'storage dropping every stalled connection',
        60_000,
      );
      const droppedAt = Date.now();
      await waitUntil(
        () => acksResumed(r, droppedAt) < Number.POSITIVE_INFINITY,
        'acks again',
        60_000,
      );
      return `every stalled connection dropped ${ms(droppedAt - stalledAt)} after the stall; acks of later sends ${ms(acksResumed(r, droppedAt))} after that`;
    });
  }, 180_000);

  const privateBroker =
    stack.kafkaBrokers.length === 1 && stack.kafkaBrokers[0] === '127.0.0.1:19092';
  (privateBroker ? it : it.skip)(
    'Kafka restarted: producers and consumers reconnect, nothing lost',
    async () => {
      await scenario('Kafka restart', async (r) => {
        const env = {
          ...process.env,
          KAFKA_PORT: '19092',
          KAFKA_CONTROLLER_PORT: '19093',
          KAFKA_DATA_DIR: join(ROOT, '.data', 'kafka-test'),
        };
        const kafka = (command: string) => {
          const result = spawnSync('bash', [join(ROOT, 'scripts', 'kafka.sh'), command], {
            env,
            stdio: 'ignore',
            timeout: 120_000,
          });
          if (result.status !== 0) throw new Error(`kafka.sh ${command} exited ${result.status}`);
        };
        const stoppedAt = Date.now();
        kafka('stop');
        kafka('start');
        const backAt = Date.now();
        await waitUntil(
          () => acksResumed(r, backAt) < Number.POSITIVE_INFINITY,
          'acks again',
          90_000,
        );
        return `broker down ${ms(backAt - stoppedAt)}; acks resumed ${ms(acksResumed(r, backAt))} after it was back`;
      });
    },
  );
});

/** How many connections subscribe to each of `channels` (PUBSUB NUMSUB), in their order. */
async function subscriberCounts(redis: Redis, channels: readonly string[]): Promise<number[]> {
  const reply = (await redis.call('PUBSUB', 'NUMSUB', ...channels)) as (string | number)[];
  return reply.filter((_, i) => i % 2 === 1).map(Number);
}

/** `parley_control_gaps_total` on a gateway's /metrics (0 before its first gap). */
async function controlGaps(gateway: string): Promise<number> {
  const text = await (await fetch(`${gateway}/metrics`)).text();
  return Number(/^parley_control_gaps_total(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? 0);
}

/** One send from `socket` to `to`, and its ack. */
async function sendOne(socket: ParleyTestClient, to: string, label: string): Promise<AckFrame> {
  const clientMsgId = `${label}-${Date.now()}`;
  socket.send({ type: 'send', clientMsgId, to, text: label });
  return socket.next<AckFrame>((f) => f.type === 'ack' && f.clientMsgId === clientMsgId, 30_000);
}

/**
 * Bob (on gateway 2) has written to Alice once and her sync v2 device (on gateway 1) is online and
 * synced; then `fault` runs. Afterwards Bob's next message must reach the device live, on the
 * socket it had from the start.
 */
async function withQuietConversation(
  label: string,
  fault: (pair: {
    bob: ParleyTestClient;
    phone: SyncDevice;
    alice: string;
    conversationId: string;
  }) => Promise<void>,
): Promise<void> {
  const [gateway1, gateway2] = stack.gateways;
  const alice = await createAccount(gateway1, `${label}a`);
  const bob = await ParleyTestClient.connect(gateway2, await createAccount(gateway2, `${label}b`));
  const phone = new SyncDevice(gateway1, alice, `${label}-phone`);
  try {
    const { conversationId } = await sendOne(bob, alice.username, 'before');
    await phone.start();
    await phone.waitSynced();
    expect(phone.seqs(conversationId)).toEqual([1]);
    await fault({ bob, phone, alice: alice.username, conversationId });
    const held = phone.seqs(conversationId);
    const after = await sendOne(bob, alice.username, 'after');
    await waitUntil(() => phone.seqs(conversationId).length > held.length, 'a live push', 30_000);
    expect(phone.seqs(conversationId)).toEqual([...held, after.seq]);
    expect(SyncDevice.carried(phone.sockets[0] ?? []).at(-1)?.kind).toBe('message');
    expect(phone.sockets).toHaveLength(1);
  } finally {
    await phone.stop();
    bob.close();
  }
}
