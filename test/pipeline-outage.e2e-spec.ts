import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { AckFrame, AcceptedFrame, MessageFrame, ServerFrame } from '@parley/protocol';
import { createAccount, ParleyTestClient } from '@parley/testing';
import { setStorageDatabaseBlocked } from '@parley/testing';
import { testStack } from './support/test-stack';

/**
 * PostgreSQL unreachable for a while, then back: every message sent meanwhile is stored exactly
 * once, acked with gap-free seqs, and delivered once. The e2e set-up runs storage's DATABASE_URL
 * through a TCP proxy this test cuts; Kafka is the spool meanwhile.
 */
const stack = testStack();
const N = 30;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function readiness(url: string): Promise<{ status: number; body: unknown }> {
  try {
    const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: await res.json() };
  } catch (err) {
    return { status: 0, body: String(err) };
  }
}

describe('PostgreSQL outage behind storage', () => {
  let db: Client;
  const clients: ParleyTestClient[] = [];
  const blockStorageDatabase = (blocked: boolean) =>
    setStorageDatabaseBlocked(stack.storageDatabaseProxy, blocked);

  beforeAll(async () => {
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await blockStorageDatabase(false);
    for (const c of clients) c.close();
    await db.end();
  });

  it('spools sends in Kafka while PostgreSQL is down, then stores, acks and delivers each exactly once', async () => {
    const gateway = stack.gateways[0];
    const alice = await createAccount(gateway, 'alice');
    const bob = await createAccount(gateway, 'bob');
    const sender = await ParleyTestClient.connect(gateway, alice);
    // A sync v2 socket: its gateway drops a push of a seq it already sent it (a retry's replay).
    const recipient = await ParleyTestClient.connect(gateway, bob, undefined, { sync: 'v2' });
    await recipient.syncFresh();
    clients.push(sender, recipient);

    await blockStorageDatabase(true);
    const clientMsgIds = Array.from({ length: N }, () => randomUUID());
    // The first send makes the 1:1 conversation (the gateway's own database path is not cut).
    sender.send({ type: 'send', clientMsgId: clientMsgIds[0], to: bob.username, text: 'during 0' });
    const first = await sender.next<AcceptedFrame>(
      (f) => f.type === 'accepted' && f.clientMsgId === clientMsgIds[0],
    );
    const { conversationId } = first;
    clientMsgIds
      .slice(1)
      .forEach((clientMsgId, i) =>
        sender.send({ type: 'send', clientMsgId, conversationId, text: `during ${i + 1}` }),
      );
    for (const clientMsgId of clientMsgIds.slice(1)) {
      const accepted = await sender.next<AcceptedFrame>(
        (f) => f.type === 'accepted' && f.clientMsgId === clientMsgId,
      );
      expect(accepted.conversationId).toBe(conversationId);
    }

    // Accepted (safe in Kafka) but not stored: no ack, no delivery, storage reports postgres down.
    await sleep(4000);
    const isAck = (f: ServerFrame) => f.type === 'ack';
    const isMessage = (f: ServerFrame): f is MessageFrame => f.type === 'message';
    expect(sender.frames.filter(isAck)).toEqual([]);
    expect(recipient.frames.filter(isMessage)).toEqual([]);
    const during = await readiness(stack.storage);
    expect(during.status).toBe(503);
    expect(during.body).toMatchObject({ checks: { postgres: { status: 'down' } } });
    const stored = await db.query(
      `SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1`,
      [conversationId],
    );
    expect(stored.rows[0].n).toBe(0);

    await blockStorageDatabase(false);
    const acks = new Map<string, AckFrame>();
    for (const clientMsgId of clientMsgIds) {
      acks.set(
        clientMsgId,
        await sender.next<AckFrame>(
          (f) => f.type === 'ack' && f.clientMsgId === clientMsgId,
          60000,
        ),
      );
    }
    const seqs = [...acks.values()].map((a) => a.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    for (const ack of acks.values()) expect(ack.conversationId).toBe(conversationId);

    // Exactly N rows, each with the seq its ack announced.
    const rows = await db.query<{ client_msg_id: string; seq: string }>(
      `SELECT client_msg_id, seq FROM messages WHERE sender_id = $1 AND client_msg_id = ANY($2)`,
      [alice.id, clientMsgIds],
    );
    expect(rows.rows).toHaveLength(N);
    for (const row of rows.rows) expect(Number(row.seq)).toBe(acks.get(row.client_msg_id)?.seq);

    // The recipient got each message exactly once, with the acked seq.
    await waitFor('every delivery', () => recipient.frames.filter(isMessage).length >= N, 30000);
    await sleep(1500);
    const delivered = recipient.frames.filter(isMessage).map((f) => f.message);
    expect(delivered).toHaveLength(N);
    expect(new Set(delivered.map((m) => m.clientMsgId))).toEqual(new Set(clientMsgIds));
    for (const m of delivered) expect(m.seq).toBe(acks.get(m.clientMsgId)?.seq);

    // A retry after recovery gets the ORIGINAL ack, and the recipient is not sent it again.
    const retried = clientMsgIds[7];
    sender.send({ type: 'send', clientMsgId: retried, conversationId, text: 'during 7' });
    const again = await sender.next<AckFrame>(
      (f) => f.type === 'ack' && f.clientMsgId === retried,
      30000,
    );
    expect(again).toEqual(acks.get(retried));
    await sleep(1500);
    expect(recipient.frames.filter(isMessage)).toHaveLength(N);
    const after = await db.query(
      `SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1`,
      [conversationId],
    );
    expect(after.rows[0].n).toBe(N);
  }, 180000);
});
