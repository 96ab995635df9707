import { randomUUID } from 'node:crypto';
import { deliveryBatchSchema, RedisChannels, SUBSCRIBER_REDIS_OPTIONS } from '@parley/common';
import { ANNOUNCEMENTS_CHANNEL_ID, channelsAnswerSchema } from '@parley/protocol';
import {
  conversationsOf,
  createAccount,
  logIn,
  messageReceiptsOf,
  ParleyTestClient,
  postJson,
  type TestAccount,
} from '@parley/testing';
import Redis from 'ioredis';
import { Client } from 'pg';
import { emptyAnnouncements } from './support/announcements';
import { acked, change, history, pushed, refused, send } from './support/frames';
import { eventually, waitFor } from './support/sync-device';

import { TEST_OPERATOR, testStack, wsUrlOf } from './support/test-stack';

const stack = testStack();

async function channelsFor(gateway: string, account: TestAccount, q: string) {
  const res = await fetch(`${gateway}/v1/channels?${new URLSearchParams({ q }).toString()}`, {
    headers: { authorization: `Bearer ${account.accessToken}` },
  });
  expect(res.status).toBe(200);
  return channelsAnswerSchema.parse(await res.json()).channels;
}

/** The pushes seen for `conversationId`: per box (its own channel) and on the channels' broadcast. */
async function watchDeliveries(redis: Redis, conversationId: string) {
  const seen: { channel: string; seq: number; connectionIds: number; ack: boolean }[] = [];
  await redis.psubscribe(`parley:${stack.clusterId}:*deliveries*`);
  redis.on('pmessage', (_p, channel: string, payload: string) => {
    const batch = deliveryBatchSchema.parse(JSON.parse(payload));
    for (const item of batch.items) {
      if (item.message.conversationId !== conversationId) continue;
      seen.push({
        channel,
        seq: item.message.seq,
        connectionIds: item.connectionIds.length,
        ack: item.ackConnectionId !== undefined,
      });
    }
  });
  return seen;
}

/** The e2e stack's operator (ANNOUNCEMENTS_ADMINS): registered once per database, then logged in. */
async function operatorAccount(gateway: string): Promise<TestAccount> {
  const password = 'correct horse battery staple';
  const reg = await postJson<{ user: { id: string } }>(`${gateway}/v1/auth/register`, {
    username: TEST_OPERATOR,
    email: `${TEST_OPERATOR}@example.org`,
    realName: 'The operator',
    password,
  });
  const tokens = await logIn(gateway, TEST_OPERATOR, password);
  const me = await fetch(`${gateway}/v1/auth/me`, {
    headers: { authorization: `Bearer ${tokens.accessToken}` },
  });
  const { user } = (await me.json()) as { user: { id: string } };
  expect([201, 409]).toContain(reg.status);
  return { id: user.id, username: TEST_OPERATOR, password, ...tokens };
}

describe('broadcast channels (two gateways)', () => {
  it('admins post, members read on both gateways, anyone joins a public channel silently, and nobody else posts', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const [alice, bob, carol, dave] = await Promise.all(
      ['alice', 'bob', 'carol', 'dave'].map((n) => createAccount(gateway1, n)),
    );
    const [a, b, c, d] = await Promise.all([
      ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice),
      ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), bob),
      ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), carol),
      ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), dave),
    ]);
    try {
      const name = `News ${randomUUID().slice(0, 6)}`;
      const created = await acked(change(a, { op: 'create-channel', name }));
      const id = created.conversationId;
      expect(created.seq).toBe(1);
      expect(await pushed(a, id, 1)).toMatchObject({
        event: { type: 'channel-created', name, public: true },
      });

      // Listed (any case, a part of the name) and joinable; joining stores nothing.
      const listed = await channelsFor(gateway2, bob, name.slice(0, 8).toUpperCase());
      expect(listed).toContainEqual({ id, name, memberCount: 1, joined: false });
      const joined = await acked(change(b, { op: 'join' }, id));
      expect(joined.seq).toBe(1); // the channel's last seq: no event was stored
      await acked(change(c, { op: 'join' }, id));
      expect(await acked(change(c, { op: 'join' }, id))).toMatchObject({ seq: 1 }); // a retry
      expect(await channelsFor(gateway1, bob, name)).toContainEqual({
        id,
        name,
        memberCount: 3,
        joined: true,
      });

      // The admin's post reaches members on both gateways.
      const post = await acked(send(a, id, 'first post'));
      expect(post.seq).toBe(2);
      expect(await pushed(b, id, 2)).toMatchObject({ text: 'first post' });
      expect(await pushed(c, id, 2)).toMatchObject({ text: 'first post' });

      // A member may not post: refused by the gateway, nothing stored.
      const notAdmin = await refused(send(b, id, 'me too'));
      expect(notAdmin).toMatchObject({
        code: 'forbidden',
        message: 'Only admins post in this channel',
      });
      // Not a member: forbidden too, and a private channel cannot be joined.
      expect(await refused(send(d, id, 'hi'))).toMatchObject({ code: 'forbidden' });
      const hidden = await acked(
        change(a, { op: 'create-channel', name: `${name} staff`, public: false }),
      );
      expect(await refused(change(d, { op: 'join' }, hidden.conversationId))).toMatchObject({
        code: 'forbidden',
        message: 'No such public channel',
      });
      expect(await channelsFor(gateway1, dave, name)).not.toContainEqual(
        expect.objectContaining({ id: hidden.conversationId }),
      );
      expect((await history(b, id)).map((m) => m.seq)).toEqual([1, 2]);

      // The list shows the channel with its size and only its admins.
      const view = (await conversationsOf(gateway2, bob)).find((v) => v.id === id);
      expect(view).toMatchObject({ kind: 'channel', public: true, memberCount: 3, unread: 1 });
      expect(view?.members.map((m) => m.id)).toEqual([alice.id]);

      // A promotion is an event every member sees; then Bob posts.
      await acked(change(a, { op: 'promote', members: [bob.username] }, id));
      await pushed(c, id, 3);
      await acked(send(b, id, 'from bob'));
      expect(await pushed(c, id, 4)).toMatchObject({ text: 'from bob', senderId: bob.id });

      // Carol leaves silently: no more pushes, history up to where she left.
      await acked(change(c, { op: 'leave' }, id));
      await acked(send(a, id, 'after carol'));
      expect(await pushed(b, id, 5)).toMatchObject({ text: 'after carol' });
      expect((await history(c, id)).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
      expect(c.frames.some((f) => f.type === 'message' && f.message.seq === 5)).toBe(false);
      // The last admin cannot leave; history cannot be limited in a channel.
      await acked(change(a, { op: 'demote', members: [bob.username] }, id));
      expect(await refused(change(a, { op: 'leave' }, id))).toMatchObject({
        code: 'validation_failed',
      });
      expect(await refused(change(a, { op: 'history', history: 'joined' }, id))).toMatchObject({
        code: 'validation_failed',
      });
      // A channel has no read receipts.
      expect((await messageReceiptsOf(gateway1, alice, id, 2)).status).toBe(403);
    } finally {
      for (const client of [a, b, c, d]) client.close();
    }
  });

  it('posts to a channel of 10,000 members as one broadcast publish, reading and writing no member rows', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((n) => createAccount(gateway1, n)),
    );
    const [a, b, c] = await Promise.all([
      ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice),
      ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), bob),
      ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), carol),
    ]);
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const redis = new Redis(stack.redisUrl, SUBSCRIBER_REDIS_OPTIONS);
    try {
      const id = (await acked(change(a, { op: 'create-channel', name: 'Big' }))).conversationId;
      await acked(change(b, { op: 'join' }, id));
      await acked(change(c, { op: 'join' }, id));
      // 9,997 more members, as the join step would leave them (they never connect).
      await db.query(
        `INSERT INTO conversation_members (conversation_id, user_id, role)
         SELECT $1, gen_random_uuid(), 'member' FROM generate_series(1, 9997)`,
        [id],
      );
      const view = (await conversationsOf(gateway1, alice)).find((v) => v.id === id);
      expect(view?.memberCount).toBe(10_000);

      const rowsBefore = await db.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM receipt_moves WHERE conversation_id = $1) +
                (SELECT count(*) FROM messages WHERE conversation_id = $1) AS n`,
        [id],
      );
      const seen = await watchDeliveries(redis, id);
      const post = await acked(send(a, id, 'to ten thousand'));
      expect(await pushed(b, id, post.seq)).toMatchObject({ text: 'to ten thousand' });
      expect(await pushed(c, id, post.seq)).toMatchObject({ text: 'to ten thousand' });
      await waitFor(() => seen.some((s) => s.seq === post.seq), 'the broadcast');

      // One publish for every box, naming no socket; the box holding the sender's socket acks it
      // from the same item. A later post's publish proves no other publish of this one follows
      // (storage publishes in commit order on one connection).
      const later = await acked(send(a, id, 'and one more'));
      await waitFor(() => seen.some((s) => s.seq === later.seq), 'the later broadcast');
      expect(seen.filter((s) => s.seq === post.seq)).toEqual([
        {
          channel: RedisChannels.channelDeliveries(stack.clusterId),
          seq: post.seq,
          connectionIds: 0,
          ack: true,
        },
      ]);
      // One row written per post: the message.
      const rowsAfter = await db.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM receipt_moves WHERE conversation_id = $1) +
                (SELECT count(*) FROM messages WHERE conversation_id = $1) AS n`,
        [id],
      );
      expect(Number(rowsAfter.rows[0].n) - Number(rowsBefore.rows[0].n)).toBe(2); // the two posts
      // Reading them moves Bob's unread count, and logs no receipt.
      b.send({ type: 'read', conversationId: id, seq: later.seq });
      await eventually(async () => {
        const mine = (await conversationsOf(gateway2, bob)).find((v) => v.id === id);
        return mine?.unread === 0;
      }, "Bob's read");
      const logged = await db.query(`SELECT 1 FROM receipt_moves WHERE conversation_id = $1`, [id]);
      expect(logged.rowCount).toBe(0);
      expect(a.frames.some((f) => f.type === 'receipt' && f.conversationId === id)).toBe(false);
    } finally {
      redis.disconnect();
      await db.query(`DELETE FROM conversations WHERE title = 'Big' AND kind = 'channel'`);
      await db.end();
      for (const client of [a, b, c]) client.close();
    }
  });

  it('two admins posting at once each get every post in order, with no gap to resync', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => createAccount(gateway1, n)));
    // Sync v2 sockets, as the clients are: a push above a hole is held and `sync.required` sent.
    const a = await ParleyTestClient.connect(gateway1, alice, undefined, { sync: 'v2' });
    const b = await ParleyTestClient.connect(gateway2, bob, undefined, { sync: 'v2' });
    try {
      await Promise.all([a.syncFresh(), b.syncFresh()]);
      const id = (
        await acked(change(a, { op: 'create-channel', name: `Duo ${randomUUID().slice(0, 6)}` }))
      ).conversationId;
      await acked(change(b, { op: 'join' }, id));
      await b.syncFresh(); // a join stores nothing: the device syncs the channel it joined
      const promoted = await acked(change(a, { op: 'promote', members: [bob.username] }, id));
      await pushed(b, id, promoted.seq);
      // Both write 20 posts without waiting: their seqs interleave in the channel's order.
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => [
          acked(send(a, id, `a${i}`)),
          acked(send(b, id, `b${i}`)),
        ]).flat(),
      );
      const last = Math.max(...answers.map((x) => x.seq));
      expect(last).toBe(promoted.seq + 40);
      for (const [client, other] of [
        [a, b],
        [b, a],
      ] as const) {
        // Each gets the other's posts pushed (its own are acked), and never a gap: a push held
        // above a hole would never come, and `sync.required` would.
        const lastOfOther = Math.max(
          ...answers.filter((_, i) => (other === b ? i % 2 === 1 : i % 2 === 0)).map((x) => x.seq),
        );
        await pushed(client, id, lastOfOther);
        expect(client.frames.filter((f) => f.type === 'sync.required')).toEqual([]);
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it('puts every new user in the announcements channel, where only the operators post', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const operator = await operatorAccount(gateway1);
    const o = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), operator);
    let n: ParleyTestClient | undefined;
    try {
      const first = await acked(send(o, ANNOUNCEMENTS_CHANNEL_ID, 'welcome to this server'));
      // A user registered after it: storage adds them from `account.registered`, caught up.
      const newcomer = await createAccount(gateway2, 'newbie');
      await eventually(
        async () =>
          (await conversationsOf(gateway2, newcomer)).some(
            (v) => v.id === ANNOUNCEMENTS_CHANNEL_ID,
          ),
        'the newcomer in the announcements channel',
      );
      const view = (await conversationsOf(gateway2, newcomer)).find(
        (v) => v.id === ANNOUNCEMENTS_CHANNEL_ID,
      );
      expect(view).toMatchObject({
        kind: 'channel',
        title: 'Announcements',
        lastSeq: first.seq,
        unread: 0,
      });
      expect(view?.members.map((m) => m.username)).toContain(TEST_OPERATOR);
      expect((await history(o, ANNOUNCEMENTS_CHANNEL_ID)).at(-1)).toMatchObject({
        text: 'welcome to this server',
      });

      n = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), newcomer);
      const post = await acked(send(o, ANNOUNCEMENTS_CHANNEL_ID, 'maintenance at noon'));
      expect(await pushed(n, ANNOUNCEMENTS_CHANNEL_ID, post.seq)).toMatchObject({
        text: 'maintenance at noon',
        senderUsername: TEST_OPERATOR,
      });
      expect(await refused(send(n, ANNOUNCEMENTS_CHANNEL_ID, 'hello?'))).toMatchObject({
        code: 'forbidden',
        message: 'Only admins post in this channel',
      });
      expect(await refused(change(n, { op: 'leave' }, ANNOUNCEMENTS_CHANNEL_ID))).toMatchObject({
        code: 'validation_failed',
      });
    } finally {
      o.close();
      n?.close();
      // Empty again, so other suites' users do not find it in their lists and syncs.
      await emptyAnnouncements(stack.databaseUrl);
    }
  });
});
