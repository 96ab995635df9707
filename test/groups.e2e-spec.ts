import { randomUUID } from 'node:crypto';
import {
  type GroupChangeRequest,
  messageReceiptsAnswerSchema,
  receiptMark,
} from '@parley/protocol';
import {
  createEnvelope,
  deliveryBatchSchema,
  MessageAcceptedV1,
  RedisChannels,
  SUBSCRIBER_REDIS_OPTIONS,
  Topic,
} from '@parley/common';
import { KafkaTestClient } from '@parley/testing/kafka-test-client';
import Redis from 'ioredis';
import { Client } from 'pg';
import {
  conversationsOf,
  createAccount,
  messageReceiptsOf,
  ParleyTestClient,
  type TestAccount,
} from '@parley/testing';
import { acked, answerTo, change, history, pushed, send } from './support/frames';
import { eventually, SyncDevice, waitFor } from './support/sync-device';
import { testStack, wsUrlOf } from './support/test-stack';

const stack = testStack();

async function viewOf(gateway: string, account: TestAccount, id: string) {
  const view = (await conversationsOf(gateway, account)).find((c) => c.id === id);
  if (!view) throw new Error(`${account.username} does not list ${id}`);
  return view;
}

/**
 * Counts the delivery batches storage publishes per gateway box for one conversation (Redis
 * pattern subscription on every box's delivery channel).
 */
async function deliveryBatches(
  redis: Redis,
  conversationId: string,
): Promise<{ gatewayId: string; seqs: number[]; items: number }[]> {
  const batches: { gatewayId: string; seqs: number[]; items: number }[] = [];
  await redis.psubscribe(`${RedisChannels.delivery(stack.clusterId, '')}*`);
  redis.on('pmessage', (_p, channel: string, payload: string) => {
    const batch = deliveryBatchSchema.parse(JSON.parse(payload));
    const mine = batch.items.filter((i) => i.message.conversationId === conversationId);
    if (mine.length > 0) {
      batches.push({
        gatewayId: channel.split(':').pop() ?? '',
        seqs: [...new Set(mine.map((i) => i.message.seq))],
        items: mine.length,
      });
    }
  });
  return batches;
}

describe('groups (two gateways)', () => {
  it('orders membership events with the messages, enforces admins, cuts removed members off, and keeps an admin', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'eve'];
    const [alice, bob, carol, dave, erin, eve] = await Promise.all(
      names.map((n) => createAccount(gateway1, n)),
    );
    const socketOf = (account: TestAccount, i: number) =>
      ParleyTestClient.connectTo(gateway1, wsUrlOf(i % 2 === 0 ? gateway1 : gateway2), account);
    const [a, b, c, d, e] = await Promise.all(
      [alice, bob, carol, dave, erin].map((account, i) => socketOf(account, i)),
    );
    const everyone = [a, b, c, d, e];
    let eves: ParleyTestClient | undefined;
    try {
      // Alice creates the group: seq 1 is the event, pushed to every member, Alice included.
      const created = await acked(
        change(a, {
          op: 'create',
          name: 'Book club',
          members: [bob.username, carol.username, dave.username, erin.username],
        }),
      );
      const id = created.conversationId;
      expect(created.seq).toBe(1);
      for (const client of everyone) {
        expect(await pushed(client, id, 1)).toMatchObject({
          senderId: alice.id,
          text: expect.stringContaining('created the group "Book club"') as unknown,
          event: { type: 'created', name: 'Book club' },
        });
      }
      const view = await viewOf(gateway2, bob, id);
      expect(view).toMatchObject({ kind: 'group', title: 'Book club', active: true });
      expect(view.members.map((m) => [m.id, m.role])).toEqual([
        [alice.id, 'admin'],
        [bob.id, 'member'],
        [carol.id, 'member'],
        [dave.id, 'member'],
        [erin.id, 'member'],
      ]);

      // A message from Bob (gateway 2), seen by all with the same seq.
      const hi = await acked(send(b, id, 'hi all'));
      expect(hi.seq).toBe(2);
      for (const client of [a, c, d, e]) {
        expect(await pushed(client, id, 2)).toMatchObject({ text: 'hi all', senderId: bob.id });
      }

      // Non-admins cannot add, remove or rename; nothing is stored for the attempts.
      for (const attempt of [
        { op: 'add', members: [eve.username] },
        { op: 'remove', members: [carol.username] },
        { op: 'rename', name: 'Mine now' },
      ] as GroupChangeRequest[]) {
        const refused = await change(b, attempt, id);
        expect(refused).toEqual({
          error: expect.objectContaining({ code: 'forbidden' }) as unknown,
        });
      }

      // Dave posts from gateway 2 (its member cache is warm), then Alice removes him.
      expect((await acked(send(d, id, 'still here'))).seq).toBe(3);
      const removed = await acked(change(a, { op: 'remove', members: [dave.username] }, id));
      expect(removed.seq).toBe(4);
      for (const client of everyone) {
        expect(await pushed(client, id, 4)).toMatchObject({
          event: { type: 'removed', members: [{ id: dave.id, username: dave.username }] },
        });
      }
      // Dave can no longer post, from the gateway whose cache held him.
      expect(await send(d, id, 'let me back in')).toEqual({
        error: expect.objectContaining({ code: 'forbidden' }) as unknown,
      });
      // Nor when a gateway accepted his send before it learnt of the removal (as a gateway with a
      // stale cache would): storage decides in the conversation's order and refuses it, and his
      // socket is told; nothing is stored.
      const kafka = new KafkaTestClient(stack.kafkaBrokers);
      try {
        const late = createEnvelope(
          MessageAcceptedV1,
          {
            conversationId: id,
            senderId: dave.id,
            senderUsername: dave.username,
            clientMsgId: 'late-send-1',
            text: 'accepted on a stale cache',
            acceptedAt: new Date().toISOString(),
            origin: {
              gatewayId: d.hello?.gatewayId ?? '',
              connectionId: d.hello?.connectionId ?? '',
              deviceId: d.hello?.deviceId ?? '',
            },
          },
          'gateway-stale',
        );
        await kafka.produceRaw(Topic.MessagesAccepted, [
          { key: id, value: JSON.stringify(late), headers: { 'event-type': late.type } },
        ]);
        expect(
          await d.next((f) => f.type === 'error' && f.clientMsgId === 'late-send-1'),
        ).toMatchObject({ code: 'forbidden', message: 'Not a member of this conversation' });
      } finally {
        await kafka.close();
      }

      // What follows is not Dave's to read: not pushed, not in his history or his list.
      expect((await acked(send(a, id, 'after dave'))).seq).toBe(5);
      for (const client of [b, c, e]) await pushed(client, id, 5);
      // His device reporting what it holds (up to his removal) is not an error.
      d.send({ type: 'delivered', conversationId: id, seq: 4 });
      const daves = await history(d, id); // answered after the report (one socket, in order)
      expect(d.frames.filter((f) => f.type === 'error')).toEqual([]);
      expect(daves.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
      expect(await viewOf(gateway2, dave, id)).toMatchObject({ active: false, lastSeq: 4 });
      expect(d.frames.some((f) => f.type === 'message' && f.message.seq === 5)).toBe(false);
      // He reads what he kept: his unread count clears, his cursor stops at his removal even when
      // asked for more, and nobody is told.
      expect((await viewOf(gateway1, dave, id)).unread).toBeGreaterThan(0);
      d.send({ type: 'read', conversationId: id, seq: 5 });
      await eventually(async () => (await viewOf(gateway1, dave, id)).unread === 0, 'his read');
      expect(d.frames.filter((f) => f.type === 'error')).toEqual([]);
      const db = new Client({ connectionString: stack.databaseUrl });
      await db.connect();
      try {
        const cursor = await db.query<{ read_seq: string }>(
          'SELECT read_seq FROM conversation_members WHERE conversation_id = $1 AND user_id = $2',
          [id, dave.id],
        );
        expect(Number(cursor.rows[0].read_seq)).toBe(4);
      } finally {
        await db.end();
      }

      // Eve, added later, reads from her joining (the group's default): history, list and sync.
      expect((await acked(change(a, { op: 'add', members: [eve.username] }, id))).seq).toBe(6);
      eves = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), eve);
      const evesHistory = await history(eves, id);
      expect(evesHistory.map((m) => m.seq)).toEqual([6]);
      expect(await viewOf(gateway2, eve, id)).toMatchObject({
        history: 'joined',
        fromSeq: 6,
        unread: 1,
      });
      expect((await acked(send(eves, id, 'hello, I am new'))).seq).toBe(7);

      // Alice promotes Bob and leaves; then Bob, the last admin, leaves: Carol (the longest-
      // standing member left) is promoted in the same event.
      expect((await acked(change(a, { op: 'promote', members: [bob.username] }, id))).seq).toBe(8);
      expect((await acked(change(a, { op: 'leave' }, id))).seq).toBe(9);
      const bobLeft = await acked(change(b, { op: 'leave' }, id));
      expect(bobLeft.seq).toBe(10);
      expect(await pushed(c, id, 10)).toMatchObject({
        event: { type: 'left', promoted: { id: carol.id, username: carol.username } },
      });
      const after = await viewOf(gateway1, carol, id);
      expect(after.members.map((m) => [m.username, m.role])).toEqual([
        [carol.username, 'admin'],
        [erin.username, 'member'],
        [eve.username, 'member'],
      ]);

      // Every member saw one order: Carol's and Erin's pushes agree seq for seq with the store.
      const stored = await history(c, id);
      expect(stored.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const erins = await history(e, id);
      expect(erins).toEqual(stored);

      // A device of Eve's that holds nothing syncs the group from her joining: a tail from seq 6,
      // its state read from there, agreeing with the server on the next round.
      const evesDevice = new SyncDevice(gateway2, eve, 'eve-second-device');
      try {
        await evesDevice.start();
        await evesDevice.waitSynced();
        expect(evesDevice.seqs(id)).toEqual([6, 7, 8, 9, 10]);
        expect(evesDevice.client.conversationStates()).toEqual([
          expect.objectContaining({ conversationId: id, lastSeq: 10, fromSeq: 6 }),
        ]);
        evesDevice.reconnect();
        await evesDevice.waitSynced();
        expect(evesDevice.synced.at(-1)).toEqual({ messages: 0, rounds: 1 });
      } finally {
        await evesDevice.stop();
      }
    } finally {
      for (const client of [...everyone, ...(eves ? [eves] : [])]) client.close();
    }
  });

  it('lets admins choose what members added later read, and a joiner does not hold back older receipts', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const [alice, bob, carol, dave] = await Promise.all(
      ['alice', 'bob', 'carol', 'dave'].map((n) => createAccount(gateway1, n)),
    );
    const [a, b, c] = await Promise.all(
      [alice, bob, carol].map((account, i) =>
        ParleyTestClient.connectTo(gateway1, wsUrlOf(i % 2 === 0 ? gateway1 : gateway2), account),
      ),
    );
    // Dave's device is online before he is added, holding a 1:1 conversation with Alice.
    const davesDevice = new SyncDevice(gateway2, dave, 'daves-device');
    try {
      const id = (
        await acked(
          change(a, { op: 'create', name: 'Open', members: [bob.username], history: 'all' }),
        )
      ).conversationId;
      await acked(send(a, id, 'first'));
      await acked(send(a, id, 'second'));
      expect((await acked(change(a, { op: 'add', members: [carol.username] }, id))).seq).toBe(4);
      expect((await history(c, id)).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
      expect(await viewOf(gateway1, carol, id)).toMatchObject({ history: 'all', fromSeq: 1 });

      // Only admins change the setting; it is an event in the conversation like any change.
      expect(await change(b, { op: 'history', history: 'joined' }, id)).toEqual({
        error: expect.objectContaining({ code: 'forbidden' }) as unknown,
      });
      expect((await acked(change(a, { op: 'history', history: 'joined' }, id))).seq).toBe(5);
      expect(await pushed(b, id, 5)).toMatchObject({
        event: { type: 'history', history: 'joined' },
      });

      // Everyone reads seq 6; then Dave joins: his device hears of it live, syncs it from seq 7.
      const six = await acked(send(a, id, 'before dave'));
      for (const [client, account] of [
        [b, bob],
        [c, carol],
      ] as const) {
        client.send({ type: 'read', conversationId: id, seq: six.seq });
        await a.next(
          (f) => f.type === 'receipt' && f.userId === account.id && f.readSeq >= six.seq,
        );
      }
      const direct = await acked(
        (async () => {
          const clientMsgId = randomUUID();
          a.send({ type: 'send', clientMsgId, to: dave.username, text: 'hi dave' });
          return answerTo(a, clientMsgId);
        })(),
      );
      await davesDevice.start();
      await davesDevice.waitSynced();
      expect(davesDevice.seqs(direct.conversationId)).toEqual([1]);
      const syncs = davesDevice.synced.length;
      expect((await acked(change(a, { op: 'add', members: [dave.username] }, id))).seq).toBe(7);
      // The push lands above what the device holds (nothing): it syncs, and the server says
      // where Dave's reading starts.
      await davesDevice.waitSynced(syncs + 1);
      await waitFor(() => davesDevice.seqs(id).includes(7), 'Dave to hold the group');
      expect(davesDevice.seqs(id)).toEqual([7]);
      expect(
        davesDevice.client.conversationStates().find((s) => s.conversationId === id),
      ).toMatchObject({ lastSeq: 7, fromSeq: 7 });
      expect((await history(c, id)).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);

      // Seq 6 stays read by all: Dave's cursors start below his first seq.
      const view = await viewOf(gateway1, alice, id);
      expect(view.members.find((m) => m.id === dave.id)).toMatchObject({
        deliveredSeq: 6,
        readSeq: 6,
      });
      expect(
        receiptMark(
          six.seq,
          alice.id,
          view.members.map((m) => ({
            userId: m.id,
            deliveredSeq: m.deliveredSeq,
            readSeq: m.readSeq,
          })),
        ),
      ).toBe('read');
    } finally {
      await davesDevice.stop();
      for (const client of [a, b, c]) client.close();
    }
  });

  it('shows read-by-all only once every member read, and sends one delivery batch per gateway box', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const members = await Promise.all(
      Array.from({ length: 12 }, (_, i) => createAccount(gateway1, `m${i}`)),
    );
    const [owner, ...others] = members;
    const sockets = await Promise.all(
      members.map((account, i) =>
        ParleyTestClient.connectTo(gateway1, wsUrlOf(i % 2 === 0 ? gateway1 : gateway2), account),
      ),
    );
    const redis = new Redis(stack.redisUrl, SUBSCRIBER_REDIS_OPTIONS);
    try {
      const id = (
        await acked(
          change(sockets[0], {
            op: 'create',
            name: 'Dozen',
            members: others.map((m) => m.username),
          }),
        )
      ).conversationId;
      for (const s of sockets) await pushed(s, id, 1);

      // Count the delivery batches storage publishes for the next message, per box.
      const batches = await deliveryBatches(redis, id);
      const message = await acked(send(sockets[0], id, 'read me'));
      for (const s of sockets.slice(1)) await pushed(s, id, message.seq);
      const forMessage = batches.filter((b) => b.seqs.includes(message.seq));
      expect(forMessage.map((b) => b.gatewayId).sort()).toEqual(['gateway-1', 'gateway-2']);

      // Receipts: delivered and read by all only once the last member reads.
      const markNow = async () => {
        const view = await viewOf(gateway1, owner, id);
        return receiptMark(
          message.seq,
          owner.id,
          view.members.map((m) => ({
            userId: m.id,
            deliveredSeq: m.deliveredSeq,
            readSeq: m.readSeq,
          })),
        );
      };
      const [last, ...firstReaders] = sockets.slice(1).reverse();
      for (const s of firstReaders) s.send({ type: 'read', conversationId: id, seq: message.seq });
      // Wait until the owner has the receipts of all but one member.
      const seen = new Set<string>();
      while (seen.size < firstReaders.length) {
        const r = await sockets[0].next(
          (f) => f.type === 'receipt' && f.conversationId === id && f.readSeq >= message.seq,
        );
        if (r.type === 'receipt') seen.add(r.userId);
      }
      expect(await markNow()).toBe('sent');
      last.send({ type: 'read', conversationId: id, seq: message.seq });
      await sockets[0].next(
        (f) => f.type === 'receipt' && f.conversationId === id && f.readSeq >= message.seq,
      );
      expect(await markNow()).toBe('read');
    } finally {
      redis.disconnect();
      for (const s of sockets) s.close();
    }
  });

  it('fans a message to a 1,001-member group out as one delivery batch per gateway box', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((n) => createAccount(gateway1, n)),
    );
    // 998 more members: users as the gateway's table holds them (they never log in).
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const run = randomUUID().slice(0, 8);
    const names = Array.from({ length: 998 }, (_, i) => `big_${run}_${i}`);
    try {
      await db.query(
        `INSERT INTO users (username, username_key, username_skeleton, email, email_key,
                            real_name, password_hash)
         SELECT n, lower(n), lower(n), n || '@example.test', lower(n) || '@example.test', n, 'x'
           FROM unnest($1::text[]) AS n`,
        [names],
      );
    } finally {
      await db.end();
    }
    const [a, b, c] = await Promise.all([
      ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice),
      ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), bob),
      ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), carol),
    ]);
    const redis = new Redis(stack.redisUrl, SUBSCRIBER_REDIS_OPTIONS);
    try {
      const created = await acked(
        change(a, {
          op: 'create',
          name: 'Everyone',
          members: [bob.username, carol.username, ...names],
        }),
      );
      const id = created.conversationId;
      for (const client of [a, b, c]) await pushed(client, id, 1);
      expect((await viewOf(gateway2, bob, id)).members).toHaveLength(1001);

      const batches = await deliveryBatches(redis, id);
      const message = await acked(send(a, id, 'to all thousand'));
      for (const client of [b, c]) {
        expect(await pushed(client, id, message.seq)).toMatchObject({ text: 'to all thousand' });
      }
      // One batch per box holding members' sockets, each with its own sockets' deliveries (Bob
      // on gateway 2; Carol and, for the ack, Alice on gateway 1): not one event per member.
      const forMessage = batches.filter((x) => x.seqs.includes(message.seq));
      expect(forMessage.map((x) => x.gatewayId).sort()).toEqual(['gateway-1', 'gateway-2']);
    } finally {
      redis.disconnect();
      for (const client of [a, b, c]) client.close();
    }
  });

  it('tells the sender who has received and read a group message, and when', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const [alice, bob, carol, dave, mallory] = await Promise.all(
      ['alice', 'bob', 'carol', 'dave', 'mallory'].map((n) => createAccount(gateway1, n)),
    );
    const [a, b] = await Promise.all([
      ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice),
      ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), bob),
    ]);
    try {
      const id = (
        await acked(
          change(a, { op: 'create', name: 'Info', members: [bob.username, carol.username] }),
        )
      ).conversationId;
      const before = Date.now();
      const sent = await acked(send(a, id, 'who saw this?'));
      const untouched = await messageReceiptsOf(gateway2, alice, id, sent.seq);
      expect(untouched).toEqual({
        status: 200,
        body: {
          conversationId: id,
          seq: sent.seq,
          members: [
            expect.objectContaining({ id: bob.id, delivered: false, read: false }) as unknown,
            expect.objectContaining({ id: carol.id, delivered: false, read: false }) as unknown,
          ],
        },
      });

      // Bob's device reports it holds the message, then he reads it: two cursor moves.
      await pushed(b, id, sent.seq);
      b.send({ type: 'delivered', conversationId: id, seq: sent.seq });
      await a.next(
        (f) => f.type === 'receipt' && f.userId === bob.id && f.deliveredSeq >= sent.seq,
      );
      b.send({ type: 'read', conversationId: id, seq: sent.seq });
      await a.next((f) => f.type === 'receipt' && f.userId === bob.id && f.readSeq >= sent.seq);
      // Dave joins later (the group shows history from joining): he is not asked about it.
      await acked(change(a, { op: 'add', members: [dave.username] }, id));

      const { status, body } = await messageReceiptsOf(gateway1, alice, id, sent.seq);
      expect(status).toBe(200);
      const { members } = messageReceiptsAnswerSchema.parse(body);
      expect(members.map((m) => m.id)).toEqual([bob.id, carol.id]);
      const [bobs, carols] = members;
      expect(bobs).toMatchObject({ delivered: true, read: true });
      const deliveredAt = Date.parse(bobs.deliveredAt ?? '');
      const readAt = Date.parse(bobs.readAt ?? '');
      expect(deliveredAt).toBeGreaterThanOrEqual(before - 1000);
      expect(readAt).toBeGreaterThanOrEqual(deliveredAt);
      expect(readAt).toBeLessThanOrEqual(Date.now() + 1000);
      expect(carols).toEqual(
        expect.objectContaining({ delivered: false, deliveredAt: null, read: false, readAt: null }),
      );

      // Only the sender asks; events are nobody's; strangers learn nothing; no such seq is 404.
      expect((await messageReceiptsOf(gateway1, bob, id, sent.seq)).status).toBe(403);
      expect((await messageReceiptsOf(gateway1, alice, id, 1)).status).toBe(403);
      expect((await messageReceiptsOf(gateway1, mallory, id, sent.seq)).status).toBe(403);
      expect((await messageReceiptsOf(gateway1, alice, id, 999)).status).toBe(404);
      expect((await messageReceiptsOf(gateway1, alice, id, 0)).status).toBe(400);
    } finally {
      for (const client of [a, b]) client.close();
    }
  });
});
