import { redisKeyPrefix, RedisChannels } from '@parley/common';
import { ErrorCode } from '@parley/protocol';
import type {
  AckFrame,
  PresenceFrame,
  PresenceVisibility,
  ServerFrame,
  TypingServerFrame,
  UserPresence,
} from '@parley/protocol';
import { createAccount, ParleyTestClient, type TestAccount } from '@parley/testing';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { eventually } from './support/sync-device';
import { StackControl } from './support/stack-control';
import { testStack, wsUrlOf } from './support/test-stack';

/**
 * Presence on the real stack, two gateways: online and last seen as watchers see them, each
 * privacy choice both ways, watches (snapshot, changes, the end of them), typing, and the
 * presence service's port. The e2e stack's offline grace is 1.5 s (TEST_PRESENCE_ENV) and a
 * gateway passes activity on at most once a second per user (TEST_GATEWAY_ENV).
 */
const stack = testStack();
const [gateway1, gateway2] = stack.gateways as [string, string];
/** Longer than the offline grace and a sweep: a change that was coming has come by then. */
const QUIET_MS = 2500;

jest.setTimeout(90_000);

const open: ParleyTestClient[] = [];
let redis: Redis;

beforeAll(() => {
  redis = new Redis(stack.redisUrl, { keyPrefix: redisKeyPrefix(stack.clusterId) });
});

afterEach(() => {
  for (const client of open.splice(0)) client.close();
});

afterAll(async () => {
  await redis.quit();
});

async function on(gateway: string, account: TestAccount): Promise<ParleyTestClient> {
  const client = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway), account);
  open.push(client);
  return client;
}

function foreground(client: ParleyTestClient, state: 'foreground' | 'background' = 'foreground') {
  client.send({ type: 'presence.state', state });
}

/** `watcher` asks for `userIds`; resolves with the snapshot. */
async function watch(watcher: ParleyTestClient, userIds: string[]): Promise<UserPresence[]> {
  const ref = randomUUID();
  watcher.send({ type: 'presence.watch', ref, userIds });
  const snapshot = await watcher.next<PresenceFrame>((f) => f.type === 'presence' && f.ref === ref);
  expect(snapshot.snapshot).toBe(true);
  return snapshot.users;
}

/** The frames `watcher` holds now: what came before a step (`next` may take frames out later). */
function mark(watcher: ParleyTestClient): ReadonlySet<ServerFrame> {
  return new Set(watcher.frames);
}

/** What `watcher` was pushed about `userId` since `before`. */
function pushesSince(
  watcher: ParleyTestClient,
  userId: string,
  before: ReadonlySet<ServerFrame>,
): UserPresence[] {
  return watcher.frames
    .filter((f): f is PresenceFrame => f.type === 'presence' && !f.snapshot && !before.has(f))
    .flatMap((f) => f.users.filter((u) => u.userId === userId));
}

/** The first presence of `userId` pushed to `watcher` from now on that matches. */
async function pushed(
  watcher: ParleyTestClient,
  userId: string,
  match: (u: UserPresence) => boolean = () => true,
): Promise<UserPresence> {
  const before = mark(watcher);
  let found: UserPresence | undefined;
  await eventually(() => {
    found = pushesSince(watcher, userId, before).find(match);
    return Promise.resolve(found !== undefined);
  }, `a presence push about ${userId}`);
  return found!;
}

async function readPresence(
  gateway: string,
  viewer: TestAccount,
  userIds: string[],
): Promise<{ status: number; users?: UserPresence[] }> {
  const res = await fetch(`${gateway}/v1/presence?userIds=${userIds.join(',')}`, {
    headers: { authorization: `Bearer ${viewer.accessToken}` },
  });
  const body = (await res.json()) as { users?: UserPresence[] };
  return { status: res.status, users: body.users };
}

async function lastSeenOf(viewer: TestAccount, user: TestAccount): Promise<string | null> {
  const { users } = await readPresence(gateway1, viewer, [user.id]);
  return users?.[0]?.lastSeenAt ?? null;
}

async function choose(account: TestAccount, presence: PresenceVisibility): Promise<void> {
  const res = await fetch(`${gateway1}/v1/settings`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${account.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ presence }),
  });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { presence: string }).presence).toBe(presence);
}

async function addContact(owner: TestAccount, contact: TestAccount): Promise<void> {
  const res = await fetch(`${gateway1}/v1/contacts/${contact.username}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${owner.accessToken}` },
  });
  expect([201, 204]).toContain(res.status);
}

async function send(client: ParleyTestClient, target: object, text: string): Promise<AckFrame> {
  const clientMsgId = randomUUID();
  client.send({ type: 'send', clientMsgId, ...target, text });
  return client.next<AckFrame>((f) => f.type === 'ack' && f.clientMsgId === clientMsgId);
}

const hidden = (userId: string): UserPresence => ({ userId, online: null, lastSeenAt: null });

describe('online and offline', () => {
  it('follows devices across gateways: connected in the foreground is online, background or gone is offline after the grace', async () => {
    const [alice, bob] = await Promise.all([
      createAccount(gateway1, 'alice'),
      createAccount(gateway1, 'bob'),
    ]);
    const watcher = await on(gateway1, alice);
    // Offline (a last seen once presence took bob's registration: it may still be on its way).
    const [snapshot] = await watch(watcher, [bob.id]);
    expect(snapshot).toMatchObject({ userId: bob.id, online: false });

    // A socket starts in the background: connected is not online.
    const phone = await on(gateway2, bob);
    const online = pushed(watcher, bob.id, (u) => u.online === true);
    foreground(phone);
    await online;

    // A second device in the foreground, then the first to the background: still online.
    const before = mark(watcher);
    const laptop = await on(gateway1, bob);
    foreground(laptop);
    foreground(phone, 'background');
    await delay(QUIET_MS);
    expect(pushesSince(watcher, bob.id, before)).toEqual([]);

    // The last foreground device closes: offline once the grace ran out, with a last seen.
    laptop.close();
    const offline = await pushed(watcher, bob.id, (u) => u.online === false);
    expect(offline.lastSeenAt).toEqual(expect.any(String));
    expect(await readPresence(gateway2, alice, [bob.id])).toEqual({
      status: 200,
      users: [{ userId: bob.id, online: false, lastSeenAt: offline.lastSeenAt }],
    });
  });

  it('does not flap: a device that drops and comes back within the grace changes nothing', async () => {
    const [alice, bob] = await Promise.all([
      createAccount(gateway1, 'alice'),
      createAccount(gateway1, 'bob'),
    ]);
    const watcher = await on(gateway1, alice);
    await watch(watcher, [bob.id]);
    const first = await on(gateway2, bob);
    const online = pushed(watcher, bob.id, (u) => u.online === true);
    foreground(first);
    await online;
    const before = mark(watcher);
    for (let i = 0; i < 3; i++) {
      // A network switch: the socket drops, the device reconnects elsewhere and restates itself.
      const previous = open.pop()!;
      previous.close();
      const again = await on(i % 2 === 0 ? gateway1 : gateway2, bob);
      foreground(again);
    }
    await delay(QUIET_MS);
    expect(pushesSince(watcher, bob.id, before)).toEqual([]);
  });

  it('holds offlines back through a reconnect storm: 20 devices dropped together and back after the grace change nothing', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const bobs = await Promise.all(
      Array.from({ length: 20 }, () => createAccount(gateway1, 'bob')),
    );
    const watcher = await on(gateway1, alice);
    await watch(
      watcher,
      bobs.map((b) => b.id),
    );
    const devices = await Promise.all(bobs.map((b) => on(gateway2, b)));
    const allOnline = Promise.all(bobs.map((b) => pushed(watcher, b.id, (u) => u.online === true)));
    for (const d of devices) foreground(d);
    await allOnline;
    const before = mark(watcher);

    // Every socket dies without a goodbye (a network blip), and the devices come back later
    // than the 1.5 s grace, while the storm drains (20 at 5 a second: held 3 s).
    for (const d of devices) d.socket.terminate();
    await delay(1800);
    const back = await Promise.all(bobs.map((b) => on(gateway1, b)));
    for (const d of back) foreground(d);
    await delay(QUIET_MS);
    expect(bobs.flatMap((b) => pushesSince(watcher, b.id, before))).toEqual([]);
  });

  it("takes a killed gateway's users offline within its lease, though their sockets never closed", async () => {
    const [alice, bob] = await Promise.all([
      createAccount(gateway1, 'alice'),
      createAccount(gateway1, 'bob'),
    ]);
    const watcher = await on(gateway1, alice);
    await watch(watcher, [bob.id]);
    const phone = await on(gateway2, bob);
    const online = pushed(watcher, bob.id, (u) => u.online === true);
    foreground(phone);
    await online;

    const offline = pushed(watcher, bob.id, (u) => u.online === false);
    const pid = StackControl.signal('gateway-2', 'SIGKILL');
    const killedAt = Date.now();
    await offline;
    // Within the directory's lease (9 s), the grace (1.5 s) and a sweep; the restarted gateway
    // (a new start time) usually tells it sooner.
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    await StackControl.waitReplaced('gateway-2', pid, gateway2);
  });
});

describe('last seen', () => {
  it('moves on a send and a read, not on reconnects, background sync or delivered reports', async () => {
    const [alice, bob] = await Promise.all([
      createAccount(gateway1, 'alice'),
      createAccount(gateway1, 'bob'),
    ]);
    // Registering and logging in are activity: bob has a last seen from the start (both events
    // reach presence through Kafka: the second may land a moment after the first).
    await eventually(async () => (await lastSeenOf(alice, bob)) !== null, 'a first last seen');
    await delay(1000);
    const atLogIn = await lastSeenOf(alice, bob);

    // App activity: a reconnect restating the foreground, a sync round, a delivered report.
    const first = await on(gateway2, bob);
    foreground(first);
    first.close();
    const device = await on(gateway1, bob);
    foreground(device);
    await device.syncFresh();
    const aliceSide = await on(gateway2, alice);
    const { conversationId, seq } = await send(aliceSide, { to: bob.username }, 'hi bob');
    await device.next((f) => f.type === 'message' && f.message.seq === seq);
    device.send({ type: 'delivered', conversationId, seq });
    await delay(QUIET_MS);
    expect(await lastSeenOf(alice, bob)).toBe(atLogIn);

    // User activity: a send moves it...
    const beforeSend = Date.now();
    await send(device, { conversationId }, 'hi alice');
    await eventually(
      async () => Date.parse((await lastSeenOf(alice, bob)) ?? '') >= beforeSend - 5,
      'last seen to move on a send',
    );
    // ... and so does a read (folded into the gateway's window, then passed on).
    const afterSend = Date.parse((await lastSeenOf(alice, bob))!);
    await delay(50);
    const beforeRead = Date.now();
    device.send({ type: 'read', conversationId, seq });
    await eventually(
      async () => Date.parse((await lastSeenOf(alice, bob)) ?? '') >= beforeRead - 5,
      'last seen to move on a read',
    );
    expect(beforeRead).toBeGreaterThan(afterSend);
  });
});

describe('who may see it', () => {
  it('everyone (the default) sees it; nobody hides it both ways; a change reaches open watches', async () => {
    const [alice, bob] = await Promise.all([
      createAccount(gateway1, 'alice'),
      createAccount(gateway1, 'bob'),
    ]);
    const watcher = await on(gateway1, alice);
    const bobDevice = await on(gateway2, bob);
    foreground(bobDevice);
    await eventually(
      async () => (await readPresence(gateway1, alice, [bob.id])).users?.[0]?.online === true,
      'bob online',
    );
    expect((await watch(watcher, [bob.id]))[0]?.online).toBe(true);

    // Bob hides his: alice's watch is told at once, and what she reads is hidden.
    const hiddenPush = pushed(watcher, bob.id, (u) => u.online === null);
    await choose(bob, 'nobody');
    expect(await hiddenPush).toEqual(hidden(bob.id));
    expect((await readPresence(gateway2, alice, [bob.id])).users).toEqual([hidden(bob.id)]);
    // ... and bob, who hides his, sees nobody's (reciprocal).
    expect((await readPresence(gateway1, bob, [alice.id])).users).toEqual([hidden(alice.id)]);
    // While hidden, bob's changes are not pushed to alice.
    const before = mark(watcher);
    foreground(bobDevice, 'background');
    await delay(QUIET_MS);
    expect(pushesSince(watcher, bob.id, before)).toEqual([]);

    // Back to everyone: alice's watch gets his state again.
    const shownAgain = pushed(watcher, bob.id, (u) => u.online === false);
    await choose(bob, 'everyone');
    expect((await shownAgain).lastSeenAt).toEqual(expect.any(String));
  });

  it('contacts: only people in the address book, and only if the viewer would show theirs too', async () => {
    const [alice, bob, carol] = await Promise.all([
      createAccount(gateway1, 'alice'),
      createAccount(gateway1, 'bob'),
      createAccount(gateway1, 'carol'),
    ]);
    await choose(bob, 'contacts');
    const aliceWatch = await on(gateway1, alice);
    expect(await watch(aliceWatch, [bob.id])).toEqual([hidden(bob.id)]);

    // Bob adds alice: her open watch is told his presence.
    const shown = pushed(aliceWatch, bob.id, (u) => u.online !== null);
    await addContact(bob, alice);
    expect((await shown).online).toBe(false);
    // Carol, not his contact, still sees nothing.
    expect((await readPresence(gateway2, carol, [bob.id])).users).toEqual([hidden(bob.id)]);

    // Reciprocal: bob (contacts) sees carol (everyone) only once carol is his contact, which
    // also lets carol see him.
    expect((await readPresence(gateway1, bob, [carol.id])).users).toEqual([hidden(carol.id)]);
    await addContact(bob, carol);
    expect((await readPresence(gateway1, bob, [carol.id])).users?.[0]?.online).toBe(false);
    expect((await readPresence(gateway1, carol, [bob.id])).users?.[0]?.online).toBe(false);
  });

  it('refuses a read without a token, and the presence service has no public endpoint', async () => {
    const bob = await createAccount(gateway1, 'bob');
    const res = await fetch(`${gateway1}/v1/presence?userIds=${bob.id}`);
    expect(res.status).toBe(401);
    await res.text();
    const direct = await fetch(`${stack.presence}/v1/presence/${bob.id}`);
    expect(direct.status).toBe(404);
    await direct.text();
    const tooMany = await readPresence(
      gateway1,
      bob,
      Array.from({ length: 101 }, () => randomUUID()),
    );
    expect(tooMany.status).toBe(400);
  });
});

describe('watches', () => {
  it('push changes after the snapshot, and stop after an empty watch or a disconnect', async () => {
    const [alice, bob] = await Promise.all([
      createAccount(gateway1, 'alice'),
      createAccount(gateway1, 'bob'),
    ]);
    const channel = RedisChannels.presence(stack.clusterId, bob.id);
    const hearing = async () =>
      Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]);
    const watcher = await on(gateway1, alice);
    await watch(watcher, [bob.id]);
    expect(await hearing()).toBe(1);

    const phone = await on(gateway2, bob);
    const online = pushed(watcher, bob.id, (u) => u.online === true);
    foreground(phone);
    await online;

    // An empty watch: nothing more is pushed, and the box stops hearing bob.
    expect(await watch(watcher, [])).toEqual([]);
    expect(await hearing()).toBe(0);
    const before = mark(watcher);
    foreground(phone, 'background');
    await delay(QUIET_MS);
    expect(pushesSince(watcher, bob.id, before)).toEqual([]);

    // Watching again, then disconnecting: the box stops hearing bob.
    await watch(watcher, [bob.id]);
    expect(await hearing()).toBe(1);
    watcher.close();
    await eventually(async () => (await hearing()) === 0, 'the gateway to unsubscribe');
  });

  it('refuses state changes and watches past their budget (20 at once, then 2 a second)', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const watcher = await on(gateway1, alice);
    for (let i = 0; i < 30; i++) {
      watcher.send({ type: 'presence.watch', ref: `w${i}`, userIds: [] });
    }
    const limited = await watcher.next(
      (f) => f.type === 'error' && f.code === ErrorCode.RateLimited,
    );
    expect(limited).toMatchObject({ retryAfterMs: expect.any(Number) });
    // `next` took one refusal out of the frames: it counts too.
    const answered = () => watcher.frames.filter((f) => f.type === 'presence').length;
    const refused = () => watcher.frames.filter((f) => f.type === 'error').length + 1;
    await eventually(
      () => Promise.resolve(answered() + refused() === 30),
      'every watch to be answered or refused',
    );
    expect(answered()).toBeGreaterThanOrEqual(20);
    expect(refused()).toBeGreaterThanOrEqual(8);
  });

  it('refuses more than 100 users in one watch', async () => {
    const alice = await createAccount(gateway1, 'alice');
    const watcher = await on(gateway1, alice);
    const ref = randomUUID();
    watcher.send({
      type: 'presence.watch',
      ref,
      userIds: Array.from({ length: 101 }, () => randomUUID()),
    });
    const error = await watcher.next((f) => f.type === 'error' && f.ref === ref);
    expect(error).toMatchObject({ code: 'validation_failed' });
  });
});

describe('typing', () => {
  it('reaches the other member within the second, is throttled, expires by itself, and is never stored', async () => {
    const [alice, bob] = await Promise.all([
      createAccount(gateway1, 'alice'),
      createAccount(gateway1, 'bob'),
    ]);
    const aliceDevice = await on(gateway1, alice);
    const bobDevice = await on(gateway2, bob);
    const { conversationId } = await send(aliceDevice, { to: bob.username }, 'hello');

    const seen = bobDevice.next<TypingServerFrame>((f) => f.type === 'typing');
    const sentAt = Date.now();
    for (let i = 0; i < 5; i++) aliceDevice.send({ type: 'typing', conversationId });
    const typing = await seen;
    expect(typing).toMatchObject({ conversationId, userId: alice.id, username: alice.username });
    // It shows for a few seconds by itself (TYPING_TTL_MS), counted from when it was typed.
    const showsFor = Date.parse(typing.expiresAt) - sentAt;
    expect(showsFor).toBeGreaterThan(3000);
    expect(showsFor).toBeLessThanOrEqual(5000 + 50);
    // Five signals at once are one: the rest were dropped.
    await delay(1500);
    expect(bobDevice.frames.filter((f) => f.type === 'typing')).toEqual([]);
    // The typist's own devices are not told.
    expect(aliceDevice.frames.some((f) => f.type === 'typing')).toBe(false);

    // Never stored: history and a fresh sync hold only the message.
    bobDevice.send({ type: 'history', ref: 'h', conversationId });
    const page = await bobDevice.next((f) => f.type === 'history.page');
    expect(page.type === 'history.page' && page.messages.map((m) => m.text)).toEqual(['hello']);
  });

  it('shows several typists in a group, and is refused to non-members', async () => {
    const [alice, bob, carol, mallory] = await Promise.all([
      createAccount(gateway1, 'alice'),
      createAccount(gateway1, 'bob'),
      createAccount(gateway1, 'carol'),
      createAccount(gateway1, 'mallory'),
    ]);
    const [a, b, c, m] = await Promise.all([
      on(gateway1, alice),
      on(gateway2, bob),
      on(gateway1, carol),
      on(gateway2, mallory),
    ]);
    const clientMsgId = randomUUID();
    a.send({
      type: 'group',
      clientMsgId,
      change: { op: 'create', name: 'typists', members: [bob.username, carol.username] },
    });
    const created = await a.next<AckFrame>(
      (f) => f.type === 'ack' && f.clientMsgId === clientMsgId,
    );
    const conversationId = created.conversationId;

    const both = Promise.all([
      c.next<TypingServerFrame>((f) => f.type === 'typing' && f.userId === alice.id),
      c.next<TypingServerFrame>((f) => f.type === 'typing' && f.userId === bob.id),
    ]);
    a.send({ type: 'typing', conversationId });
    b.send({ type: 'typing', conversationId });
    const [fromAlice, fromBob] = await both;
    expect([fromAlice.conversationId, fromBob.conversationId]).toEqual([
      conversationId,
      conversationId,
    ]);

    m.send({ type: 'typing', ref: 'nosy', conversationId });
    expect(await m.next((f) => f.type === 'error' && f.ref === 'nosy')).toMatchObject({
      code: 'forbidden',
    });
  });
});
