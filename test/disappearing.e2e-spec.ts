import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Client } from 'pg';
import sharp from 'sharp';
import {
  type AckFrame,
  type DeliveredMessage,
  ErrorCode,
  historyPageSchema,
  imageUploadAnswerSchema,
  type MessageFrame,
} from '@parley/protocol';
import { createAccount, ParleyTestClient, type TestAccount } from '@parley/testing';
import { acked, answerTo, change } from './support/frames';
import { StackControl } from './support/stack-control';
import { eventually, SyncDevice } from './support/sync-device';
import { blobFileOf, testStack, wsUrlOf } from './support/test-stack';

const stack = testStack();
/** The test stack offers a 2-second timer (TEST_STORAGE_ENV). */
const TIMER = 2;

async function history(gateway: string, account: TestAccount, id: string) {
  const res = await fetch(`${gateway}/v1/conversations/${id}/messages?limit=50`, {
    headers: { authorization: `Bearer ${account.accessToken}` },
  });
  expect(res.status).toBe(200);
  return historyPageSchema.parse(await res.json()).messages;
}

async function sendText(client: ParleyTestClient, target: object, text: string): Promise<AckFrame> {
  const clientMsgId = randomUUID();
  client.send({ type: 'send', clientMsgId, ...target, text });
  return acked(answerTo(client, clientMsgId));
}

describe('disappearing messages (two gateways)', () => {
  let db: Client;
  beforeAll(async () => {
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
  });

  const row = async (id: string, seq: number) =>
    (
      await db.query<{ body: string; expired: boolean; image_id: string | null }>(
        'SELECT body, expired, image_id FROM messages WHERE conversation_id = $1 AND seq = $2',
        [id, seq],
      )
    ).rows[0];

  it('a 1:1 timer set by either member is an event; what is sent after it loses its text and image everywhere, its seq stays; what came before stays', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => createAccount(gateway1, n)));
    const a = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice);
    const b = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), bob);
    try {
      const before = await sendText(a, { to: bob.username }, 'this one stays');
      const id = before.conversationId;

      // A timer the server does not offer is refused; bob (not an admin: a 1:1 has none) sets one.
      const odd = await change(b, { op: 'timer', seconds: 7 }, id);
      expect('error' in odd && odd.error.code).toBe(ErrorCode.ValidationFailed);
      const set = await acked(change(b, { op: 'timer', seconds: TIMER }, id));
      expect(set.seq).toBe(2);
      const event = await a.next<MessageFrame>(
        (f) => f.type === 'message' && f.message.conversationId === id && f.message.seq === 2,
      );
      expect(event.message).toMatchObject({
        event: { type: 'timer', seconds: TIMER },
        text: `${bob.username} set messages to disappear after 2 seconds`,
      });
      expect(event.message.expiresAt).toBeUndefined();

      // An image and a text, sent after it: each carries its expiry (server time + 2 s).
      const photo = await sharp({
        create: { width: 300, height: 200, channels: 3, background: '#c33' },
      })
        .jpeg()
        .toBuffer();
      const upload = await fetch(`${gateway1}/v1/images`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice.accessToken}`, 'content-type': 'image/jpeg' },
        body: photo,
      });
      const image = imageUploadAnswerSchema.parse(await upload.json()).image;
      const blobs = (
        await db.query<{ display_key: string; thumb_key: string }>(
          'SELECT display_key, thumb_key FROM images WHERE id = $1',
          [image.id],
        )
      ).rows[0];
      expect(existsSync(blobFileOf(stack, blobs.display_key))).toBe(true);

      const imageMsgId = randomUUID();
      a.send({
        type: 'send',
        clientMsgId: imageMsgId,
        conversationId: id,
        text: 'secret view',
        image: { id: image.id },
      });
      const imageAck = await acked(answerTo(a, imageMsgId));
      const textAck = await sendText(a, { conversationId: id }, 'secret words');
      const pushed = await b.next<MessageFrame>(
        (f) => f.type === 'message' && f.message.seq === textAck.seq,
      );
      const expiresIn =
        Date.parse(pushed.message.expiresAt ?? '') - Date.parse(pushed.message.serverTime);
      expect(expiresIn).toBe(TIMER * 1000);

      // Storage's sweeper deletes the content (rows, image row, blobs) once due; the rows stay.
      await eventually(
        async () => (await row(id, textAck.seq)).expired && (await row(id, imageAck.seq)).expired,
        'the sweeper expired both',
      );
      for (const seq of [imageAck.seq, textAck.seq]) {
        expect(await row(id, seq)).toEqual({ body: '', expired: true, image_id: null });
      }
      const images = await db.query('SELECT 1 FROM images WHERE id = $1', [image.id]);
      expect(images.rowCount).toBe(0);
      expect(existsSync(blobFileOf(stack, blobs.display_key))).toBe(false);
      expect(existsSync(blobFileOf(stack, blobs.thumb_key))).toBe(false);
      const res = await fetch(`${gateway2}/v1/images/${image.id}/display`, {
        headers: { authorization: `Bearer ${bob.accessToken}` },
      });
      expect(res.status).toBe(404);

      // History: gap-free seqs; the message before the timer and the event stay, the rest are
      // tombstones.
      const page = await history(gateway2, bob, id);
      expect(
        page.map((m) => ({
          seq: m.seq,
          text: m.text,
          image: m.image !== undefined,
          expired: m.expired ?? false,
        })),
      ).toEqual([
        { seq: 1, text: 'this one stays', image: false, expired: false },
        {
          seq: 2,
          text: `${bob.username} set messages to disappear after 2 seconds`,
          image: false,
          expired: false,
        },
        { seq: 3, text: '', image: false, expired: true },
        { seq: 4, text: '', image: false, expired: true },
      ]);

      // A device that was away syncs: it gets tombstones, and its state agrees with the server's.
      const away = new SyncDevice(gateway2, bob, `away-${randomUUID().slice(0, 8)}`);
      await away.start();
      try {
        await away.waitSynced(1);
        const got: DeliveredMessage[] = away.received.get(id) ?? [];
        expect(got.filter((m) => m.seq >= 3).map((m) => [m.seq, m.text, m.expired])).toEqual([
          [3, '', true],
          [4, '', true],
        ]);
        expect(got.some((m) => m.text.includes('secret'))).toBe(false);
      } finally {
        await away.stop();
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it('in a group only admins set the timer', async () => {
    const [gateway1] = stack.gateways;
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => createAccount(gateway1, n)));
    const a = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice);
    const b = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), bob);
    try {
      const id = (await acked(change(a, { op: 'create', name: 'Timers', members: [bob.username] })))
        .conversationId;
      const refused = await change(b, { op: 'timer', seconds: 300 }, id);
      expect('error' in refused && refused.error).toMatchObject({
        code: ErrorCode.Forbidden,
        message: 'Only admins can do that',
      });
      await acked(change(a, { op: 'timer', seconds: 300 }, id));
      const list = await fetch(`${gateway1}/v1/conversations`, {
        headers: { authorization: `Bearer ${bob.accessToken}` },
      });
      const body = (await list.json()) as { conversations: { id: string; timer?: number }[] };
      expect(body.conversations.find((c) => c.id === id)?.timer).toBe(300);
    } finally {
      a.close();
      b.close();
    }
  });

  it('what falls due while storage is stopped is hidden from every read at once, and deleted when storage is back', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => createAccount(gateway1, n)));
    const a = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice);
    try {
      const first = await sendText(a, { to: bob.username }, 'hello');
      const id = first.conversationId;
      await acked(change(a, { op: 'timer', seconds: TIMER }, id));
      const ack = await sendText(a, { conversationId: id }, 'gone soon');

      // Every storage replica (PARLEY_TEST_REPLICAS): any of them sweeps what falls due.
      const pids = stack.storageReplicas.map((name) => StackControl.signal(name, 'SIGSTOP'));
      try {
        await new Promise((r) => setTimeout(r, TIMER * 1000 + 1500));
        // Nobody deleted it yet, but no read returns it.
        expect(await row(id, ack.seq)).toMatchObject({ body: 'gone soon', expired: false });
        const page = await history(gateway2, bob, id);
        expect(page.find((m) => m.seq === ack.seq)).toMatchObject({ text: '', expired: true });
      } finally {
        for (const pid of pids) process.kill(pid, 'SIGCONT');
      }
      await eventually(
        async () => (await row(id, ack.seq)).expired,
        'deleted after storage resumed',
      );
      expect(await row(id, ack.seq)).toMatchObject({ body: '', expired: true });
    } finally {
      a.close();
    }
  });
});
