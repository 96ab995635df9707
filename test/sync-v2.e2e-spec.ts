import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConversationStates,
  MemoryConversationStateStore,
  sha256,
  type StoredStates,
} from '@parley/client';
import {
  type AckFrame,
  EMPTY_STATE_DIGEST,
  type ErrorFrame,
  type MessageFrame,
  type ServerFrame,
  type SyncDoneFrame,
  type SyncMessagesFrame,
  type SyncResetFrame,
  stateSummary,
} from '@parley/protocol';
import { createAccount, ParleyTestClient, type TestAccount } from '@parley/testing';
import { Client } from 'pg';
import { SyncDevice, waitFor } from './support/sync-device';
import { testStack } from './support/test-stack';

/**
 * Sync v2 against the real stack: states proven by digests, capped pages and rounds, resets,
 * ordered resume across reconnects, and replays that reach recipients after storage dies between
 * its commit and its publish.
 */
const stack = testStack();
const [gateway1, gateway2] = stack.gateways;
/** The test stack's gateways run with the defaults: SYNC_PAGE_SIZE and SYNC_ROUND_MAX_MESSAGES. */
const PAGE_CAP = 200;
const ROUND_CAP = 2000;
const devices: SyncDevice[] = [];
const sockets: ParleyTestClient[] = [];

afterEach(async () => {
  for (const d of devices.splice(0)) await d.stop();
  for (const s of sockets.splice(0)) s.close();
});

function device(gateway: string, account: TestAccount, store = new MemoryConversationStateStore()) {
  const d = new SyncDevice(gateway, account, `dev-${randomUUID().slice(0, 8)}`, store);
  devices.push(d);
  return d;
}

async function sender(gateway: string, account: TestAccount): Promise<ParleyTestClient> {
  const socket = await ParleyTestClient.connect(gateway, account);
  sockets.push(socket);
  return socket;
}

/** Sends `count` messages to `to` from `socket` and waits for every ack; the acks, in order. */
async function send(
  socket: ParleyTestClient,
  to: string,
  count: number,
  label: string,
): Promise<AckFrame[]> {
  const ids = Array.from({ length: count }, (_, i) => `${label}-${i}-${randomUUID().slice(0, 6)}`);
  for (const [i, clientMsgId] of ids.entries()) {
    socket.send({ type: 'send', clientMsgId, to, text: `${label} ${i}` });
  }
  const acks: AckFrame[] = [];
  for (const id of ids) {
    acks.push(await socket.next<AckFrame>((f) => f.type === 'ack' && f.clientMsgId === id, 90_000));
  }
  return acks;
}

/** `parley_sync_queries_total` by statement, over the gateways (the directory picks a socket's). */
async function syncQueries(): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  for (const gateway of stack.gateways) {
    const text = await (await fetch(`${gateway}/metrics`)).text();
    for (const [, labels, value] of text.matchAll(/^parley_sync_queries_total\{(.*)\} (\d+)$/gm)) {
      const statement = /statement="(\w+)"/.exec(labels)?.[1] ?? '';
      sums[statement] = (sums[statement] ?? 0) + Number(value);
    }
  }
  return sums;
}

/** What each statement's count grew by since `before`. */
async function syncQueriesSince(before: Record<string, number>): Promise<Record<string, number>> {
  const now = await syncQueries();
  const statements = ['ranges', 'positions', 'others', 'windows', 'tails', 'after'];
  return Object.fromEntries(statements.map((s) => [s, (now[s] ?? 0) - (before[s] ?? 0)]));
}

const ofType = <T extends ServerFrame>(frames: readonly ServerFrame[], type: T['type']) =>
  frames.filter((f): f is T => f.type === type);

/** Per socket and conversation, the seqs it received must only go up. */
function expectNeverBackwards(d: SyncDevice): void {
  for (const frames of d.sockets) {
    const last = new Map<string, number>();
    for (const c of SyncDevice.carried(frames)) {
      const before = last.get(c.conversationId) ?? 0;
      if (c.seq <= before) {
        throw new Error(
          `socket got ${c.conversationId} seq ${c.seq} (${c.kind}) after seq ${before}`,
        );
      }
      last.set(c.conversationId, c.seq);
    }
  }
}

describe('sync v2', () => {
  it('a device in agreement gets no messages: one round converges', async () => {
    const [alice, bob] = [await createAccount(gateway1, 'sa'), await createAccount(gateway2, 'sb')];
    const phone = device(gateway2, bob);
    await phone.start();
    await phone.waitSynced();
    await send(await sender(gateway1, alice), bob.username, 5, 'hello');
    await waitFor(
      () => phone.received.size === 1 && [...phone.received.values()][0].length === 5,
      'five live',
    );

    phone.reconnect();
    await phone.waitSynced(2);
    expect(phone.synced[1]).toEqual({ messages: 0, rounds: 1 });
    const frames = phone.sockets.at(-1) ?? [];
    expect(ofType(frames, 'sync.messages')).toEqual([]);
    expect(ofType(frames, 'sync.reset')).toEqual([]);
    expect(ofType<SyncDoneFrame>(frames, 'sync.done')).toEqual([
      expect.objectContaining({ converged: true, agreed: 1, messages: 0 }),
    ]);
  });

  it('a device 10,000 messages behind across 50 conversations converges in capped pages and rounds', async () => {
    const bob = await createAccount(gateway2, 'sb');
    // Log-ins in flight from one address count against its throttle: ten at a time.
    const senders: TestAccount[] = [];
    for (let i = 0; i < 50; i += 10) {
      senders.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, (_, k) =>
            createAccount((i + k) % 2 ? gateway1 : gateway2, `s${i + k}`),
          ),
        )),
      );
    }
    const socketsOf = await Promise.all(
      senders.map((s, i) => sender(i % 2 ? gateway1 : gateway2, s)),
    );
    await Promise.all(socketsOf.map((s) => send(s, bob.username, 1, 'first')));

    // Bob's laptop learns the 50 conversations (their tails), then goes away.
    const store = new MemoryConversationStateStore();
    const first = device(gateway1, bob, store);
    await first.start();
    await first.waitSynced();
    expect(first.client.conversationStates()).toHaveLength(50);
    await first.stop();
    devices.splice(devices.indexOf(first), 1);

    // 200 more from each while it is away, 50 at a time per sender (the gateways' bound on
    // unacknowledged sends is 5,000).
    for (let chunk = 0; chunk < 4; chunk++) {
      await Promise.all(socketsOf.map((s) => send(s, bob.username, 50, `missed${chunk}`)));
    }

    const back = new SyncDevice(gateway1, bob, first.deviceId, store);
    devices.push(back);
    await back.start();
    await back.waitSynced(1, 120_000);
    const frames = back.sockets[0] ?? [];
    const pages = ofType<SyncMessagesFrame>(frames, 'sync.messages');
    const dones = ofType<SyncDoneFrame>(frames, 'sync.done');
    expect(Math.max(...pages.map((p) => p.messages.length))).toBeLessThanOrEqual(PAGE_CAP);
    expect(Math.max(...dones.map((d) => d.messages))).toBeLessThanOrEqual(ROUND_CAP);
    expect(pages.reduce((n, p) => n + p.messages.length, 0)).toBe(10_000);
    expect(dones.at(-1)).toMatchObject({ converged: true, messages: 0 });
    expect(dones.slice(0, -1).every((d) => !d.converged)).toBe(true);
    expect(dones.length).toBeGreaterThanOrEqual(10_000 / ROUND_CAP + 1);
    expect(back.synced[0]).toEqual({ messages: 10_000, rounds: dones.length });
    // Every conversation arrived complete and in order: seqs 2..201 each.
    expect(back.received.size).toBe(50);
    for (const [id] of back.received) {
      expect(back.seqs(id)).toEqual(Array.from({ length: 200 }, (_, i) => i + 2));
    }
    expectNeverBackwards(back);
  }, 240_000);

  it.each([
    ['a changed message', 'change'],
    ['a message the server does not have', 'extra'],
  ] as const)('a local store holding %s gets a reset and converges', async (_what, tamper) => {
    const [alice, bob] = [await createAccount(gateway1, 'sa'), await createAccount(gateway2, 'sb')];
    await send(await sender(gateway1, alice), bob.username, 5, 'real');
    const store = new MemoryConversationStateStore();
    const first = device(gateway2, bob, store);
    await first.start();
    await first.waitSynced();
    const [truth] = first.client.conversationStates();
    await first.stop();
    devices.splice(devices.indexOf(first), 1);

    const tampered: StoredStates = structuredClone(store.saved);
    const [conversationId, held] = Object.entries(tampered)[0] ?? [];
    if (!conversationId || !held) throw new Error('nothing stored');
    const lastEntry = held.window[held.window.length - 1];
    if (tamper === 'change') {
      lastEntry.textSha256 = `${lastEntry.textSha256.slice(0, -1)}${lastEntry.textSha256.endsWith('0') ? '1' : '0'}`;
    } else {
      held.window.push({ ...lastEntry, seq: held.lastSeq + 1, clientMsgId: 'never-sent' });
      held.lastSeq += 1;
    }
    const again = new SyncDevice(
      gateway2,
      bob,
      first.deviceId,
      new MemoryConversationStateStore(tampered),
    );
    devices.push(again);
    await again.start();
    expect(again.client.conversationStates()).not.toEqual([truth]);
    await again.waitSynced();
    const frames = again.sockets[0] ?? [];
    expect(ofType(frames, 'sync.reset')).toEqual([
      expect.objectContaining({ conversationId, lastSeq: 5, digest: truth.digest }),
    ]);
    expect(again.client.conversationStates()).toEqual([truth]);
    // Agreement, proved by the server: the next connection's one round sends nothing.
    again.reconnect();
    await again.waitSynced(2);
    expect(again.synced[1]).toEqual({ messages: 0, rounds: 1 });
  });

  it('storage killed between its commit and its publish: after its restart every member gets the messages live, stored once, and the digests agree', async () => {
    const [alice, bob] = [await createAccount(gateway1, 'sa'), await createAccount(gateway2, 'sb')];
    const aliceSocket = await sender(gateway1, alice);
    const [firstAck] = await send(aliceSocket, bob.username, 1, 'before');
    const phone = device(gateway2, bob);
    await phone.start();
    await phone.waitSynced();
    const pidFile = join(__dirname, '..', '.data', 'test-logs', 'storage.pid');
    const pidBefore = readFileSync(pidFile, 'utf8').trim();

    const armed = await fetch(`${stack.storage}/internal/failpoints/storage.crash-after-commit`, {
      method: 'POST',
    });
    expect(armed.status).toBe(204);
    const acks = await send(aliceSocket, bob.username, 5, 'during');
    // Storage died after committing, was restarted by the supervisor, and replayed the batch.
    expect(readFileSync(pidFile, 'utf8').trim()).not.toBe(pidBefore);
    expect(acks.map((a) => a.seq)).toEqual([2, 3, 4, 5, 6]);

    const conversationId = firstAck.conversationId;
    await waitFor(
      () => phone.seqs(conversationId).length === 6,
      'the replayed messages live',
      60_000,
    );
    expect(phone.seqs(conversationId)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(phone.sockets).toHaveLength(1);
    expect(phone.synced).toHaveLength(1);
    expectNeverBackwards(phone);

    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1',
        [conversationId],
      );
      expect(rows[0]?.n).toBe(6);
    } finally {
      await db.end();
    }
    phone.reconnect();
    await phone.waitSynced(2);
    expect(phone.synced[1]).toEqual({ messages: 0, rounds: 1 });
  }, 120_000);

  it('reconnects while messages flow never deliver a lower seq after a higher one, and lose nothing', async () => {
    const bob = await createAccount(gateway1, 'sb');
    const writers = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const gateway = i % 2 ? gateway2 : gateway1;
        return sender(gateway, await createAccount(gateway, `w${i}`));
      }),
    );
    const phone = device(gateway2, bob);
    await phone.start();
    await phone.waitSynced();
    // Each writer's conversation exists and the phone holds it before the flow starts.
    const sent: Promise<AckFrame[]>[] = writers.map((w, i) => send(w, bob.username, 1, `w${i}`));
    await Promise.all(sent);
    await waitFor(() => phone.received.size === 4, 'four conversations');
    let flowing = true;
    const flow = (async () => {
      for (let burst = 0; flowing; burst++) {
        for (const [i, w] of writers.entries())
          sent.push(send(w, bob.username, 2, `w${i}-${burst}`));
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    // About 320 messages a second over four conversations while the phone reconnects 15 times
    // (each writer stays within its socket's burst of 1,000 sends).
    for (let i = 0; i < 15; i++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      phone.reconnect();
      await phone.waitSynced(phone.synced.length + 1);
    }
    flowing = false;
    await flow;
    const acks = (await Promise.all(sent)).flat();
    phone.reconnect();
    await phone.waitSynced(phone.synced.length + 1);

    expect(phone.sockets.length).toBeGreaterThanOrEqual(17);
    expectNeverBackwards(phone);
    const byConversation = new Map<string, number>();
    for (const a of acks)
      byConversation.set(
        a.conversationId,
        Math.max(byConversation.get(a.conversationId) ?? 0, a.seq),
      );
    expect(byConversation.size).toBe(4);
    for (const [id, last] of byConversation) {
      expect([...new Set(phone.seqs(id))].sort((x, y) => x - y)).toEqual(
        Array.from({ length: last }, (_, i) => i + 1),
      );
      expect(phone.seqs(id)).toHaveLength(last);
    }
    expect(
      phone.client
        .conversationStates()
        .map((s) => s.lastSeq)
        .sort(),
    ).toEqual([...byConversation.values()].sort());
  }, 120_000);

  describe('summary', () => {
    it('a summary that matches converges in one small round; one that does not lists nothing, and the states that follow bring what was missed', async () => {
      const [alice, bob] = [
        await createAccount(gateway1, 'sa'),
        await createAccount(gateway2, 'sb'),
      ];
      const alices = await sender(gateway1, alice);
      await send(alices, bob.username, 3, 'before');
      const laptop = device(gateway2, bob);
      await laptop.start();
      await laptop.waitSynced();
      const held = laptop.client.conversationStates();
      expect(held).toEqual([expect.objectContaining({ lastSeq: 3 })]);
      const summary = stateSummary(held, sha256);

      const socket = await ParleyTestClient.connect(gateway2, bob, undefined, { sync: 'v2' });
      sockets.push(socket);
      const round = { type: 'sync.states', states: [], summary, complete: true, last: true };
      socket.send({ ...round, ref: 'same' });
      expect(
        await socket.next<SyncDoneFrame>((f) => f.type === 'sync.done' && f.ref === 'same'),
      ).toEqual({
        type: 'sync.done',
        ref: 'same',
        converged: true,
        agreed: 1,
        messages: 0,
        behind: [],
        reset: [],
        unknown: [],
        gone: [],
      });

      // A fourth message while a second socket has not synced: the summary no longer matches.
      const phone = await ParleyTestClient.connect(gateway1, bob, undefined, { sync: 'v2' });
      sockets.push(phone);
      const [fourth] = await send(alices, bob.username, 1, 'away');
      phone.send({ ...round, ref: 'stale' });
      expect(
        await phone.next<SyncDoneFrame>((f) => f.type === 'sync.done' && f.ref === 'stale'),
      ).toMatchObject({ converged: false, agreed: 0, messages: 0, unknown: [], gone: [] });
      expect(
        phone.frames.filter((f) => f.type.startsWith('sync.') && f.type !== 'sync.done'),
      ).toEqual([]);
      // A fifth, stored after the summary read Bob's conversations. The round that follows starts
      // from what the summary read: no query of its own for them, and the fifth comes after.
      const [fifth] = await send(alices, bob.username, 1, 'later');
      const queries = await syncQueries();
      phone.send({ type: 'sync.states', ref: 'states', states: held, complete: true, last: true });
      const done = await phone.next<SyncDoneFrame>(
        (f) => f.type === 'sync.done' && f.ref === 'states',
      );
      expect(done).toMatchObject({ converged: false, messages: 1, behind: [] });
      const page = await phone.next<SyncMessagesFrame>((f) => f.type === 'sync.messages');
      expect(page.messages.map((m) => m.seq)).toEqual([fourth.seq]);
      expect(ofType(phone.frames, 'sync.messages')).toEqual([]);
      // What the summary read serves the round: no positions read again; the missed message is.
      expect(await syncQueriesSince(queries)).toMatchObject({
        ranges: 0,
        positions: 0,
        others: 0,
        after: 1,
      });

      // The next round reads anew: the fifth is there.
      const { conversationId } = fourth;
      const anew = {
        type: 'sync.states',
        states: [{ conversationId, tail: true }],
        complete: true,
      };
      phone.send({ ...anew, ref: 'anew', last: true });
      const reset = await phone.next<SyncResetFrame>(
        (f) => f.type === 'sync.reset' && f.ref === 'anew',
      );
      expect(reset.messages.map((m) => m.seq)).toEqual([1, 2, 3, fourth.seq, fifth.seq]);
      const states = new ConversationStates();
      states.reset(conversationId, reset.lastSeq, reset.messages);
      phone.send({ ...anew, ref: 'agree', states: [states.state(conversationId)], last: true });
      expect(
        await phone.next<SyncDoneFrame>((f) => f.type === 'sync.done' && f.ref === 'agree'),
      ).toMatchObject({ converged: true, agreed: 1 });
      // The held pushes of the fourth and fifth are not sent: the sixth is the first push.
      const [sixth] = await send(alices, bob.username, 1, 'after');
      await phone.next<MessageFrame>((f) => f.type === 'message' && f.message.seq === sixth.seq);
      expect(ofType<MessageFrame>(phone.frames, 'message')).toEqual([]);
    });

    it("sums up only the user's own conversations, and a summary never joins a round in progress", async () => {
      const [alice, bob, carol] = [
        await createAccount(gateway1, 'sa'),
        await createAccount(gateway2, 'sb'),
        await createAccount(gateway1, 'sc'),
      ];
      await send(await sender(gateway1, alice), bob.username, 2, 'private');
      const laptop = device(gateway2, bob);
      await laptop.start();
      await laptop.waitSynced();
      // Carol knows Bob's state (say it leaked): her summary of it is not hers.
      const summary = stateSummary(laptop.client.conversationStates(), sha256);
      const mallory = await ParleyTestClient.connect(gateway1, carol, undefined, { sync: 'v2' });
      sockets.push(mallory);
      mallory.send({ type: 'sync.states', ref: 'probe', states: [], summary, complete: true });
      expect(
        await mallory.next<SyncDoneFrame>((f) => f.type === 'sync.done' && f.ref === 'probe'),
      ).toMatchObject({ converged: false, agreed: 0, messages: 0, unknown: [], gone: [] });
      expect(
        mallory.frames.filter((f) => f.type === 'sync.messages' || f.type === 'sync.reset'),
      ).toEqual([]);
      // The states after her summary: Bob's conversation is not among the ones it read, and read
      // as in any round it is not hers.
      const [bobs] = laptop.client.conversationStates();
      mallory.send({
        type: 'sync.states',
        ref: 'after',
        states: [bobs],
        complete: true,
        last: true,
      });
      expect(
        await mallory.next<SyncDoneFrame>((f) => f.type === 'sync.done' && f.ref === 'after'),
      ).toMatchObject({ converged: false, agreed: 0, messages: 0, gone: [bobs.conversationId] });
      expect(
        mallory.frames.filter((f) => f.type === 'sync.messages' || f.type === 'sync.reset'),
      ).toEqual([]);

      mallory.send({ type: 'sync.states', ref: 'open', states: [], complete: true, last: false });
      mallory.send({ type: 'sync.states', ref: 'mid', states: [], summary, complete: true });
      const refused = await mallory.next<ErrorFrame>((f) => f.type === 'error' && f.ref === 'mid');
      expect(refused).toMatchObject({ code: 'validation_failed' });
      expect(refused.message).toContain('a summary starts a round of its own');
    });
  });

  describe('limits', () => {
    it('names a conversation the user is not in as gone, and sends nothing of it', async () => {
      const [alice, bob, carol] = [
        await createAccount(gateway1, 'sa'),
        await createAccount(gateway2, 'sb'),
        await createAccount(gateway1, 'sc'),
      ];
      const [ack] = await send(await sender(gateway1, alice), bob.username, 3, 'private');
      const mallory = await ParleyTestClient.connect(gateway2, carol, undefined, { sync: 'v2' });
      sockets.push(mallory);
      mallory.send({
        type: 'sync.states',
        ref: 'probe',
        states: [{ conversationId: ack.conversationId, lastSeq: 0, digest: EMPTY_STATE_DIGEST }],
        last: true,
      });
      const done = await mallory.next<SyncDoneFrame>((f) => f.type === 'sync.done');
      expect(done).toMatchObject({
        converged: false,
        agreed: 0,
        messages: 0,
        gone: [ack.conversationId],
      });
      mallory.send({
        type: 'sync.states',
        ref: 'probe',
        states: [{ conversationId: ack.conversationId, tail: true }],
        last: true,
      });
      await mallory.next((f) => f.type === 'sync.done');
      expect(
        mallory.frames.filter((f) => f.type === 'sync.messages' || f.type === 'sync.reset'),
      ).toEqual([]);
    });

    it('refuses a frame of more than 100 states, or naming a conversation twice, with a clear error', async () => {
      const bob = await createAccount(gateway2, 'sb');
      const socket = await ParleyTestClient.connect(gateway2, bob, undefined, { sync: 'v2' });
      sockets.push(socket);
      const state = (i: number) => ({
        conversationId: `1763900000000-${String(i).padStart(32, '0')}`,
        lastSeq: 0,
        digest: EMPTY_STATE_DIGEST,
      });
      socket.send({
        type: 'sync.states',
        ref: 'big',
        states: Array.from({ length: 101 }, (_, i) => state(i)),
      });
      expect(
        await socket.next<ErrorFrame>((f) => f.type === 'error' && f.ref === 'big'),
      ).toMatchObject({
        code: 'validation_failed',
      });
      socket.send({ type: 'sync.states', ref: 'twice', states: [state(1), state(1)] });
      const twice = await socket.next<ErrorFrame>((f) => f.type === 'error' && f.ref === 'twice');
      expect(twice).toMatchObject({ code: 'validation_failed' });
      expect(twice.message).toContain('twice');
      // The socket still works: a good round converges.
      await socket.syncFresh();
    });

    it('past 1,000 held pushes the socket is told to sync again, and its pushes flow after that round', async () => {
      const [alice, carol, bob] = [
        await createAccount(gateway1, 'sa'),
        await createAccount(gateway2, 'sc'),
        await createAccount(gateway1, 'sb'),
      ];
      const phone = await ParleyTestClient.connect(gateway2, bob, undefined, { sync: 'v2' });
      sockets.push(phone);
      // The phone has not synced: everything pushed to it is held, past the bound of 1,000.
      await Promise.all([
        send(await sender(gateway1, alice), bob.username, 600, 'a'),
        send(await sender(gateway2, carol), bob.username, 600, 'c'),
      ]);
      expect(phone.frames.filter((f) => f.type === 'message')).toEqual([]);
      await phone.syncFresh();
      expect(await phone.next((f) => f.type === 'sync.required')).toEqual({
        type: 'sync.required',
        reason: 'overflow',
      });
      await phone.syncFresh();
      const [last] = await send(await sender(gateway1, alice), bob.username, 1, 'after');
      const pushed = await phone.next<MessageFrame>((f) => f.type === 'message');
      expect(pushed.message).toMatchObject({ conversationId: last.conversationId, seq: last.seq });
    }, 60_000);
  });
});
