import { randomUUID } from 'node:crypto';
import type {
  AckFrame,
  MessageReceiptsAnswer,
  ReceiptFrame,
  ServerFrame,
  SettingsView,
} from '@parley/protocol';
import {
  conversationsOf,
  createAccount,
  messageReceiptsOf,
  ParleyTestClient,
  type TestAccount,
} from '@parley/testing';
import { testStack, wsUrlOf } from './support/test-stack';

const stack = testStack();

async function send(client: ParleyTestClient, target: object, text: string): Promise<AckFrame> {
  const clientMsgId = randomUUID();
  client.send({ type: 'send', clientMsgId, ...target, text });
  return client.next<AckFrame>((f) => f.type === 'ack' && f.clientMsgId === clientMsgId);
}

/** The next receipt of `userId` in `conversationId` at `client` that reaches these positions. */
function receiptReaching(
  client: ParleyTestClient,
  conversationId: string,
  userId: string,
  at: { deliveredSeq: number; readSeq: number },
): Promise<ReceiptFrame> {
  return client.next<ReceiptFrame>(
    (f: ServerFrame) =>
      f.type === 'receipt' &&
      f.conversationId === conversationId &&
      f.userId === userId &&
      f.deliveredSeq >= at.deliveredSeq &&
      f.readSeq >= at.readSeq,
  );
}

/** `PUT /v1/settings` (or `GET` without a change) as `account`: the status and the body. */
async function settings(
  gateway: string,
  account: TestAccount,
  change?: object,
): Promise<{ status: number; body: SettingsView }> {
  const res = await fetch(`${gateway}/v1/settings`, {
    method: change ? 'PUT' : 'GET',
    headers: {
      authorization: `Bearer ${account.accessToken}`,
      ...(change ? { 'content-type': 'application/json' } : {}),
    },
    ...(change ? { body: JSON.stringify(change) } : {}),
  });
  return { status: res.status, body: (await res.json()) as SettingsView };
}

/** A member's cursors as `viewer`'s conversation list shows them. */
async function listedCursors(
  gateway: string,
  viewer: TestAccount,
  conversationId: string,
  member: TestAccount,
) {
  const view = (await conversationsOf(gateway, viewer)).find((c) => c.id === conversationId);
  const m = view?.members.find((x) => x.id === member.id);
  return m ? { deliveredSeq: m.deliveredSeq, readSeq: m.readSeq } : undefined;
}

/** "Who read it" of `seq` as its sender sees it: delivered and read of each other member. */
async function whoRead(gateway: string, sender: TestAccount, conversationId: string, seq: number) {
  const { body } = await messageReceiptsOf(gateway, sender, conversationId, seq);
  return (body as MessageReceiptsAnswer).members.map((m) => ({
    delivered: m.delivered,
    read: m.read,
    readAt: m.readAt,
  }));
}

describe('receipts: sent -> delivered -> read, live to the sender (two gateways)', () => {
  it('reaches both of the sender’s devices live, and the conversation list after a reconnect', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const alice = await createAccount(gateway1, 'alice');
    const bob = await createAccount(gateway1, 'bob');
    const phone = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice, 'phone');
    const laptop = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), alice, 'laptop');
    const bobs = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), bob, 'phone');
    try {
      const first = await send(phone, { to: bob.username }, 'hello bob');
      const { conversationId } = first;
      await bobs.next((f) => f.type === 'message' && f.message.seq === first.seq);

      // Stored, not yet delivered: the list says so (sent: one tick).
      const before = await conversationsOf(gateway2, alice);
      expect(before.find((c) => c.id === conversationId)?.members).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: bob.id, deliveredSeq: 0, readSeq: 0 }),
        ]),
      );

      // Bob's device holds it: both of Alice's devices see "delivered".
      bobs.send({ type: 'delivered', conversationId, seq: first.seq });
      for (const device of [phone, laptop]) {
        expect(
          await receiptReaching(device, conversationId, bob.id, { deliveredSeq: 1, readSeq: 0 }),
        ).toEqual({ type: 'receipt', conversationId, userId: bob.id, deliveredSeq: 1, readSeq: 0 });
      }

      // Bob reads it: both see "read".
      bobs.send({ type: 'read', conversationId, seq: first.seq });
      for (const device of [phone, laptop]) {
        expect(
          await receiptReaching(device, conversationId, bob.id, { deliveredSeq: 1, readSeq: 1 }),
        ).toMatchObject({ deliveredSeq: 1, readSeq: 1 });
      }

      // The laptop is away while two more messages are delivered and read with one frame each.
      laptop.close();
      const second = await send(phone, { conversationId }, 'two');
      const third = await send(phone, { conversationId }, 'three');
      expect(third.seq).toBe(3);
      await bobs.next((f) => f.type === 'message' && f.message.seq === third.seq);
      bobs.send({ type: 'read', conversationId, seq: third.seq });
      const read = await receiptReaching(phone, conversationId, bob.id, {
        deliveredSeq: 3,
        readSeq: 3,
      });
      expect(read).toMatchObject({ deliveredSeq: 3, readSeq: 3 }); // reading implies delivery
      expect(second.seq).toBe(2);

      // Back again: the conversation list carries Bob's cursors, so every mark is right.
      const after = await conversationsOf(gateway1, alice);
      const members = after.find((c) => c.id === conversationId)?.members ?? [];
      expect(members).toEqual(
        expect.arrayContaining([
          { id: bob.id, username: bob.username, role: 'member', deliveredSeq: 3, readSeq: 3 },
          expect.objectContaining({ id: alice.id }),
        ]),
      );
    } finally {
      for (const c of [phone, laptop, bobs]) c.close();
    }
  });

  it('turning read receipts off hides them both ways: others see only delivered, and the user sees nobody read', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const alice = await createAccount(gateway1, 'alice');
    const bob = await createAccount(gateway1, 'bob');
    const a = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice, 'phone');
    const b = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), bob, 'phone');
    try {
      expect(await settings(gateway2, bob)).toEqual({
        status: 200,
        body: { readReceipts: true, presence: 'everyone' },
      });
      const one = await send(a, { to: bob.username }, 'one');
      const { conversationId } = one;
      await b.next((f) => f.type === 'message' && f.message.seq === one.seq);

      // Bob turns them off (on the other gateway from his socket's) and reads: Alice is told
      // "delivered", never "read", live, in her list and in "who read it".
      const off = await settings(gateway1, bob, { readReceipts: false });
      expect(off).toEqual({ status: 200, body: { readReceipts: false, presence: 'everyone' } });
      expect((await settings(gateway2, bob)).body).toEqual({
        readReceipts: false,
        presence: 'everyone',
      });
      b.send({ type: 'read', conversationId, seq: one.seq });
      expect(
        await receiptReaching(a, conversationId, bob.id, { deliveredSeq: 1, readSeq: 0 }),
      ).toEqual({ type: 'receipt', conversationId, userId: bob.id, deliveredSeq: 1, readSeq: 0 });
      expect(await listedCursors(gateway2, alice, conversationId, bob)).toEqual({
        deliveredSeq: 1,
        readSeq: 0,
      });
      expect(await whoRead(gateway1, alice, conversationId, one.seq)).toEqual([
        { delivered: true, read: false, readAt: null },
      ]);
      // His own devices still know what he read (his unread count).
      expect(await listedCursors(gateway1, bob, conversationId, bob)).toEqual({
        deliveredSeq: 1,
        readSeq: 1,
      });

      // The other way: Alice reads Bob's message; Bob is shown delivered only.
      const two = await send(b, { conversationId }, 'two');
      await a.next((f) => f.type === 'message' && f.message.seq === two.seq);
      a.send({ type: 'read', conversationId, seq: two.seq });
      expect(
        await receiptReaching(b, conversationId, alice.id, { deliveredSeq: 2, readSeq: 0 }),
      ).toMatchObject({ deliveredSeq: 2, readSeq: 0 });
      expect(await listedCursors(gateway2, bob, conversationId, alice)).toEqual({
        deliveredSeq: 2,
        readSeq: 0,
      });
      expect(await whoRead(gateway2, bob, conversationId, two.seq)).toEqual([
        { delivered: true, read: false, readAt: null },
      ]);
      expect(a.frames.filter((f) => f.type === 'receipt' && f.readSeq > 0)).toEqual([]);
      expect(b.frames.filter((f) => f.type === 'receipt' && f.readSeq > 0)).toEqual([]);

      // Back on: read state shows again both ways, as the cursors stand now.
      expect((await settings(gateway2, bob, { readReceipts: true })).body).toEqual({
        readReceipts: true,
        presence: 'everyone',
      });
      expect(await listedCursors(gateway1, alice, conversationId, bob)).toEqual({
        deliveredSeq: 1,
        readSeq: 1,
      });
      expect(await listedCursors(gateway1, bob, conversationId, alice)).toEqual({
        deliveredSeq: 2,
        readSeq: 2,
      });
      const three = await send(a, { conversationId }, 'three');
      await b.next((f) => f.type === 'message' && f.message.seq === three.seq);
      b.send({ type: 'read', conversationId, seq: three.seq });
      expect(
        await receiptReaching(a, conversationId, bob.id, { deliveredSeq: 3, readSeq: 3 }),
      ).toMatchObject({ readSeq: 3 });
    } finally {
      a.close();
      b.close();
    }
  });

  it('refuses a settings change that names nothing, or something unknown, and changes nothing', async () => {
    const [gateway1] = stack.gateways;
    const carol = await createAccount(gateway1, 'carol');
    for (const change of [{}, { readReceipts: 'no' }, { readReceipts: false, theme: 'dark' }]) {
      expect((await settings(gateway1, carol, change)).status).toBe(400);
    }
    expect((await settings(gateway1, carol)).body).toEqual({
      readReceipts: true,
      presence: 'everyone',
    });
  });

  it('tells only the other members, and a cursor that does not move tells no one again', async () => {
    const [gateway1] = stack.gateways;
    const alice = await createAccount(gateway1, 'alice');
    const bob = await createAccount(gateway1, 'bob');
    const eve = await createAccount(gateway1, 'eve');
    const a = await ParleyTestClient.connect(gateway1, alice);
    const b = await ParleyTestClient.connect(gateway1, bob);
    const e = await ParleyTestClient.connect(gateway1, eve);
    try {
      const ack = await send(a, { to: bob.username }, 'for bob only');
      const { conversationId } = ack;
      await b.next((f) => f.type === 'message' && f.message.seq === ack.seq);
      b.send({ type: 'read', conversationId, seq: ack.seq });
      await receiptReaching(a, conversationId, bob.id, { deliveredSeq: 1, readSeq: 1 });

      // The same read again moves nothing: no second receipt. A later message's receipt proves
      // the pipeline ran past it.
      b.send({ type: 'read', conversationId, seq: ack.seq });
      const next = await send(a, { conversationId }, 'again');
      await b.next((f) => f.type === 'message' && f.message.seq === next.seq);
      b.send({ type: 'delivered', conversationId, seq: next.seq });
      await receiptReaching(a, conversationId, bob.id, { deliveredSeq: 2, readSeq: 1 });
      const receiptsAtAlice = a.frames.filter((f) => f.type === 'receipt' && f.userId === bob.id);
      expect(receiptsAtAlice).toEqual([]); // each one was consumed by the waits above
      expect(e.frames.filter((f) => f.type === 'receipt')).toEqual([]);
      // Bob is not told of his own moves: his devices made them.
      expect(b.frames.filter((f) => f.type === 'receipt')).toEqual([]);
    } finally {
      for (const c of [a, b, e]) c.close();
    }
  });
});
