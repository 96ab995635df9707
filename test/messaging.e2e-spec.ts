import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Topic } from '@parley/common';
import type { AckFrame, AcceptedFrame, MessageFrame, SyncPageFrame } from '@parley/protocol';
import { createAccount, ParleyTestClient, requestConnect, TestAccount } from '@parley/testing';
import { KafkaTestClient } from '@parley/testing/kafka-test-client';
import { testStack } from './support/test-stack';

const stack = testStack();

/** Opens a socket for `account` on the gateway whose URL is not `avoidUrl` (directory-assigned). */
async function connectAvoiding(account: TestAccount, avoidUrl: string, deviceId?: string) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const answer = await requestConnect(stack.gateways[0], account, deviceId);
    expect(answer.status).toBe(200);
    if (answer.body.url !== avoidUrl) {
      const client = await ParleyTestClient.open(answer.body.url, answer.body.ticket);
      await client.next((f) => f.type === 'hello');
      return { client, url: answer.body.url };
    }
    // The directory still ranks the other gateway's load as lower: wait for a heartbeat.
    if (Date.now() > deadline) throw new Error('directory never offered the second gateway');
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function sendAndAck(
  client: ParleyTestClient,
  target: { to?: string; conversationId?: string },
  text: string,
) {
  const clientMsgId = randomUUID();
  client.send({ type: 'send', clientMsgId, ...target, text });
  const accepted = await client.next<AcceptedFrame>(
    (f) => f.type === 'accepted' && f.clientMsgId === clientMsgId,
  );
  const ack = await client.next<AckFrame>((f) => f.type === 'ack' && f.clientMsgId === clientMsgId);
  return { clientMsgId, accepted, ack };
}

describe('messages end to end through Kafka (two gateways)', () => {
  let db: Client;
  beforeAll(async () => {
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
  });

  it('Alice on one gateway and Bob on the other exchange messages both ways and see the same seqs', async () => {
    const alice = await createAccount(stack.gateways[0], 'alice');
    const bob = await createAccount(stack.gateways[0], 'bob');
    const a = await ParleyTestClient.connect(stack.gateways[0], alice);
    const aliceUrl = (await requestConnect(stack.gateways[0], alice)).body.url;
    const b = await connectAvoiding(bob, aliceUrl);
    expect(b.url).not.toBe(aliceUrl);

    const first = await sendAndAck(a, { to: bob.username }, 'hello bob');
    const conversationId = first.accepted.conversationId;
    expect(first.ack).toMatchObject({ conversationId, seq: 1 });
    const atBob = await b.client.next<MessageFrame>(
      (f) => f.type === 'message' && f.message.clientMsgId === first.clientMsgId,
    );
    expect(atBob.message).toMatchObject({
      conversationId,
      seq: 1,
      senderId: alice.id,
      senderUsername: alice.username,
      text: 'hello bob',
    });

    const reply = await sendAndAck(b.client, { conversationId }, 'hi alice');
    expect(reply.ack).toMatchObject({ conversationId, seq: 2 });
    const atAlice = await a.next<MessageFrame>(
      (f) => f.type === 'message' && f.message.clientMsgId === reply.clientMsgId,
    );
    expect(atAlice.message).toMatchObject({ seq: 2, senderId: bob.id, text: 'hi alice' });

    // The same conversation is reused for the pair, from either side.
    const again = await sendAndAck(b.client, { to: alice.username }, 'still here');
    expect(again.accepted.conversationId).toBe(conversationId);
    expect(again.ack.seq).toBe(3);
    await a.next<MessageFrame>((f) => f.type === 'message' && f.message.seq === 3);

    const rows = await db.query<{ seq: string; sender_id: string }>(
      'SELECT seq, sender_id FROM messages WHERE conversation_id = $1 ORDER BY seq',
      [conversationId],
    );
    expect(rows.rows.map((r) => [Number(r.seq), r.sender_id])).toEqual([
      [1, alice.id],
      [2, bob.id],
      [3, bob.id],
    ]);
    a.close();
    b.client.close();
  });

  it('a send with accepted: false is answered by its ack alone; a refused one still gets its error', async () => {
    const alice = await createAccount(stack.gateways[0], 'quiet');
    const bob = await createAccount(stack.gateways[0], 'bob');
    const a = await ParleyTestClient.connect(stack.gateways[0], alice);

    /** Sends with `accepted: false`; returns the clientMsgId. */
    const sendQuietly = (
      client: ParleyTestClient,
      target: { to?: string; conversationId?: string },
      text: string,
    ) => {
      const clientMsgId = randomUUID();
      client.send({ type: 'send', clientMsgId, ...target, text, accepted: false });
      return clientMsgId;
    };
    const quiet = sendQuietly(a, { to: bob.username }, 'no accepted');
    const ack = await a.next<AckFrame>((f) => f.type === 'ack' && f.clientMsgId === quiet);
    expect(ack.seq).toBe(1);
    // Same socket, default: both frames. The quiet send's `accepted` would have come before its
    // ack (Kafka holds a send before storage stores it), so none came at all.
    const loud = await sendAndAck(a, { conversationId: ack.conversationId }, 'with accepted');
    expect(loud.accepted.conversationId).toBe(ack.conversationId);
    expect(loud.ack.seq).toBe(2);
    expect(a.frames.filter((f) => f.type === 'accepted' && f.clientMsgId === quiet)).toEqual([]);

    const stranger = await createAccount(stack.gateways[0], 'carol');
    const c = await ParleyTestClient.connect(stack.gateways[0], stranger);
    const refused = sendQuietly(c, { conversationId: ack.conversationId }, 'not mine');
    const error = await c.next((f) => f.type === 'error' && f.clientMsgId === refused);
    expect(error).toMatchObject({ code: 'forbidden' });
    a.close();
    c.close();
  });

  it('spreads a burst of connects over both gateways through the directory', async () => {
    const user = await createAccount(stack.gateways[0], 'burst');
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await requestConnect(stack.gateways[i % 2], user));
    const perGateway = new Map<string, number>();
    for (const a of answers) {
      expect(a.status).toBe(200);
      perGateway.set(a.body.gatewayId, (perGateway.get(a.body.gatewayId) ?? 0) + 1);
    }
    // Issued tickets count as load until the gateway's next heartbeat, so neither gateway gets
    // them all. A heartbeat landing mid-burst resets that gateway's count to its real sockets
    // (none here), so the split is not always 5/5; without reservations it would be 10/0.
    expect(perGateway.size).toBe(2);
    for (const n of perGateway.values()) expect(n).toBeGreaterThanOrEqual(2);
  });

  it('the same clientMsgId sent three times stores one message and gives three identical acks', async () => {
    const alice = await createAccount(stack.gateways[0], 'alice');
    const bob = await createAccount(stack.gateways[1], 'bob');
    const a = await ParleyTestClient.connect(stack.gateways[0], alice);
    // A sync v2 socket: its gateway drops a push of a seq it already sent it (a retry's replay).
    const b = await ParleyTestClient.connect(stack.gateways[1], bob, undefined, { sync: 'v2' });
    await b.syncFresh();
    const clientMsgId = randomUUID();
    const frame = { type: 'send', clientMsgId, to: bob.username, text: 'only once' };
    a.send(frame);
    a.send(frame); // a retry before the ack
    const firstAck = await a.next<AckFrame>(
      (f) => f.type === 'ack' && f.clientMsgId === clientMsgId,
    );
    a.send(frame); // and one after it
    const acks = [firstAck];
    for (let i = 0; i < 2; i++) {
      acks.push(await a.next<AckFrame>((f) => f.type === 'ack' && f.clientMsgId === clientMsgId));
    }
    expect(acks[1]).toEqual(acks[0]);
    expect(acks[2]).toEqual(acks[0]);
    const stored = await db.query(
      'SELECT count(*)::int AS n FROM messages WHERE sender_id = $1 AND client_msg_id = $2',
      [alice.id, clientMsgId],
    );
    expect(stored.rows[0]).toEqual({ n: 1 });

    // Bob receives it exactly once: a later message arrives and nothing else came in between.
    await b.next<MessageFrame>(
      (f) => f.type === 'message' && f.message.clientMsgId === clientMsgId,
    );
    const marker = await sendAndAck(a, { conversationId: acks[0].conversationId }, 'marker');
    await b.next<MessageFrame>(
      (f) => f.type === 'message' && f.message.clientMsgId === marker.clientMsgId,
    );
    expect(
      b.frames.filter((f) => f.type === 'message' && f.message.clientMsgId === clientMsgId),
    ).toHaveLength(0);
    a.close();
    b.close();
  });

  it('Bob, offline, gets all 1,000 messages Alice sent, in order, in several pages, and no more', async () => {
    const alice = await createAccount(stack.gateways[0], 'alice');
    const bob = await createAccount(stack.gateways[0], 'bob');
    const bobDevice = `bob-phone-${randomUUID().slice(0, 8)}`;
    const a = await ParleyTestClient.connect(stack.gateways[0], alice);
    const first = await sendAndAck(a, { to: bob.username }, 'message 1');
    const conversationId = first.accepted.conversationId;
    const total = 1000;
    const ids = [first.clientMsgId];
    for (let i = 2; i <= total; i++) {
      const clientMsgId = randomUUID();
      ids.push(clientMsgId);
      a.send({ type: 'send', clientMsgId, conversationId, text: `message ${i}` });
    }
    // Every send is acked (durable) before Bob comes back.
    const lastAck = await a.next<AckFrame>(
      (f) => f.type === 'ack' && f.clientMsgId === ids[total - 1],
      60000,
    );
    expect(lastAck.seq).toBe(total);

    const b = await ParleyTestClient.connect(stack.gateways[1], bob, bobDevice);
    const received: MessageFrame['message'][] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      b.send({ type: 'sync', ...(after ? { after } : {}) });
      const page = await b.next<SyncPageFrame>((f) => f.type === 'sync.page');
      pages++;
      received.push(...page.messages);
      const last = page.messages[page.messages.length - 1];
      if (last) b.send({ type: 'delivered', conversationId: last.conversationId, seq: last.seq });
      if (page.done) break;
      after = page.next;
      expect(pages).toBeLessThan(50);
    }
    expect(pages).toBeGreaterThan(1);
    expect(received).toHaveLength(total);
    expect(received.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(received.map((m) => m.clientMsgId)).toEqual(ids);
    expect(new Set(received.map((m) => m.conversationId))).toEqual(new Set([conversationId]));
    a.close();
    b.close();

    // The delivered cursor moved (through Kafka and storage): the same device is caught up.
    const deadline = Date.now() + 20000;
    let cursor = 0;
    while (Date.now() < deadline && cursor < total) {
      const r = await db.query<{ delivered_seq: string }>(
        'SELECT delivered_seq FROM device_cursors WHERE user_id = $1 AND device_id = $2 AND conversation_id = $3',
        [bob.id, bobDevice, conversationId],
      );
      cursor = Number(r.rows[0]?.delivered_seq ?? 0);
      if (cursor < total) await new Promise((res) => setTimeout(res, 250));
    }
    expect(cursor).toBe(total);
    const again = await ParleyTestClient.connect(stack.gateways[0], bob, bobDevice);
    again.send({ type: 'sync' });
    const empty = await again.next<SyncPageFrame>((f) => f.type === 'sync.page');
    expect(empty).toMatchObject({ messages: [], done: true });
    again.close();
  });

  it("gathers many devices' delivered reports into a few cursors.moved records, and storage moves every cursor", async () => {
    const pairs = 10;
    const devices: { account: TestAccount; client: ParleyTestClient; conversationId?: string }[] =
      [];
    for (let i = 0; i < pairs; i++) {
      const [a, b] = await Promise.all([
        createAccount(stack.gateways[i % 2], 'cura'),
        createAccount(stack.gateways[(i + 1) % 2], 'curb'),
      ]);
      const [ca, cb] = await Promise.all([
        ParleyTestClient.connect(stack.gateways[0], a),
        ParleyTestClient.connect(stack.gateways[1], b),
      ]);
      const { accepted } = await sendAndAck(ca, { to: b.username }, 'hi');
      await cb.next<MessageFrame>((f) => f.type === 'message' && f.message.seq === 1);
      devices.push(
        { account: a, client: ca, conversationId: accepted.conversationId },
        { account: b, client: cb, conversationId: accepted.conversationId },
      );
    }
    // Every device reports seq 1 at once: 20 moves on two gateways.
    for (const d of devices) {
      d.client.send({ type: 'delivered', conversationId: d.conversationId as string, seq: 1 });
    }
    const users = new Set(devices.map((d) => d.account.id));
    const kafka = new KafkaTestClient(stack.kafkaBrokers);
    try {
      const movesOf = (value: Buffer | null) => {
        const envelope = JSON.parse(value?.toString('utf8') ?? '{}') as {
          type: string;
          payload: { delivered?: { userId: string }[]; userId?: string };
        };
        const named = envelope.payload.delivered?.map((m) => m.userId) ?? [envelope.payload.userId];
        return { type: envelope.type, ours: named.filter((u) => u !== undefined && users.has(u)) };
      };
      const records = await kafka.collect(
        Topic.Cursors,
        (r) => movesOf(r.value).ours.length > 0,
        (kept) => new Set(kept.flatMap((r) => movesOf(r.value).ours)).size === users.size,
      );
      expect(records.map((r) => movesOf(r.value).type)).toEqual(records.map(() => 'cursors.moved'));
      // One record per gateway per flush window (two if the burst met a flush): not one per move.
      expect(records.length).toBeLessThanOrEqual(4);
    } finally {
      await kafka.close();
    }
    const deadline = Date.now() + 20_000;
    let moved = 0;
    while (Date.now() < deadline && moved < devices.length) {
      const r = await db.query<{ n: string }>(
        'SELECT count(*) AS n FROM device_cursors WHERE user_id = ANY($1) AND delivered_seq = 1',
        [[...users]],
      );
      moved = Number(r.rows[0].n);
      if (moved < devices.length) await new Promise((res) => setTimeout(res, 250));
    }
    expect(moved).toBe(devices.length);
    for (const d of devices) d.client.close();
  });
});
