import { createEnvelope, MessageAcceptedV1 } from '@parley/common';
import { PoisonEventError } from '@parley/kafka';
import { randomUUID } from 'node:crypto';
import { FailpointsService } from '../failpoints/failpoints.service';
import type { MessageFanoutService } from '../fanout/message-fanout.service';
import type { GroupChangeService } from '../groups/group-change.service';
import {
  isStored,
  type MessageAcceptedEnvelope,
  type PersistOutcome,
} from './message-persist.plan';
import { MessagePersistService } from './message-persist.service';
import type {
  MemberAppend,
  MessageRow,
  MessagesRepository,
  MessagesStore,
  NewMessage,
  SeqAllocation,
  SenderKey,
  StoredMessageRef,
} from './messages.repository';

const conv = `1763900000000-${'a'.repeat(32)}`;
/** These tests hold sends only: a group change reaching the service is a failure. */
const noGroups = {
  apply: () => Promise.reject(new Error('no group changes in these tests')),
} as unknown as GroupChangeService;
const alice = randomUUID();
const bob = randomUUID();
const origin = { gatewayId: 'gateway-1', connectionId: randomUUID(), deviceId: 'laptop' };

function accepted(clientMsgId: string, senderId = alice): MessageAcceptedEnvelope {
  return createEnvelope(
    MessageAcceptedV1,
    {
      conversationId: conv,
      senderId,
      senderUsername: 'alice',
      clientMsgId,
      text: 'hello',
      acceptedAt: '2025-01-01T00:00:00.000Z',
      origin,
    },
    'gateway-1',
  );
}

/**
 * An in-memory stand-in for PostgreSQL: the look-up reads the committed state, and the append is
 * one statement that changes it entirely or not at all.
 */
class FakeDatabase {
  lastSeq = 0;
  messages: MessageRow[] = [];
  members = new Map([[conv, [alice, bob]]]);
  /** Appends that committed. */
  commits = 0;
  /** Look-ups run, and one-statement appends tried (committed or declined). */
  lookUps = 0;
  memberAppends = 0;
  /** Simulates a concurrent consumer committing these rows just before our append. */
  raceOnce: MessageRow[] | null = null;

  repository(): MessagesRepository {
    const store: MessagesStore = {
      lookUp: (keys: readonly SenderKey[], ids: readonly string[]) => {
        this.lookUps += 1;
        const stored = this.messages
          .filter((m) =>
            keys.some((k) => k.senderId === m.senderId && k.clientMsgId === m.clientMsgId),
          )
          .map((m): StoredMessageRef => ({ ...m }));
        const asked = new Set([...ids, ...stored.map((m) => m.conversationId)]);
        const members = new Map([...this.members].filter(([id]) => asked.has(id)));
        return Promise.resolve({ stored, members, channels: new Set<string>() });
      },
      append: (requests, messages) => this.append(requests, messages),
      appendAsMembers: (requests, messages) => this.appendAsMembers(requests, messages),
    };
    return store as MessagesRepository;
  }

  /** Declines (null, nothing written) for a stored key, a missing conversation or a non-member. */
  private async appendAsMembers(
    requests: readonly { conversationId: string; count: number }[],
    messages: readonly NewMessage[],
  ): Promise<MemberAppend | null> {
    this.memberAppends += 1;
    if (this.raceOnce) {
      // The concurrent consumer commits first; its rows make ours a unique violation.
      this.lastSeq += this.raceOnce.length;
      this.messages.push(...this.raceOnce);
      this.raceOnce = null;
    }
    const declined = messages.some(
      (m) =>
        this.messages.some((s) => s.senderId === m.senderId && s.clientMsgId === m.clientMsgId) ||
        !(this.members.get(m.conversationId) as readonly string[] | undefined)?.includes(
          m.senderId,
        ),
    );
    if (declined) return null;
    const allocations = await this.append(requests, messages);
    const members = new Map(
      [...this.members].filter(([id]) => requests.some((r) => r.conversationId === id)),
    );
    return { allocations, members, channels: new Set<string>() };
  }

  private append(
    requests: readonly { conversationId: string; count: number }[],
    messages: readonly NewMessage[],
  ): Promise<Map<string, SeqAllocation>> {
    if (this.raceOnce) {
      const winner = this.raceOnce;
      this.raceOnce = null;
      this.lastSeq += winner.length;
      this.messages.push(...winner);
      const err = Object.assign(new Error('duplicate key'), { code: '23505' });
      return Promise.reject(err);
    }
    const allocations = new Map<string, SeqAllocation>();
    let lastSeq = this.lastSeq;
    for (const { conversationId, count } of requests) {
      lastSeq += count;
      allocations.set(conversationId, {
        conversationId,
        firstSeq: lastSeq - count + 1,
        serverTime: new Date('2025-01-01T00:00:01.000Z'),
      });
    }
    const rows = messages.map((m): MessageRow => {
      const a = allocations.get(m.conversationId) as SeqAllocation;
      return {
        conversationId: m.conversationId,
        seq: a.firstSeq + m.offset,
        senderId: m.senderId,
        clientMsgId: m.clientMsgId,
        serverTime: a.serverTime,
        body: m.body,
      };
    });
    this.lastSeq = lastSeq;
    this.messages.push(...rows);
    this.commits += 1;
    return Promise.resolve(allocations);
  }
}

function setup() {
  const db = new FakeDatabase();
  const fanOut = jest.fn((_messages: readonly PersistOutcome[]) =>
    Promise.resolve({ gateways: 1, items: 1, staleConnections: 0 }),
  );
  const fanout = { fanOut } as unknown as MessageFanoutService;
  // A kill that does not kill: it throws where the process would have died.
  const kill = jest.fn(() => {
    throw new Error('killed by the failpoint');
  });
  const failpoints = new FailpointsService(kill);
  const service = new MessagePersistService(db.repository(), fanout, failpoints, noGroups);
  const published = () =>
    fanOut.mock.calls.flatMap(([messages]) =>
      messages.filter(isStored).map((m) => [m.conversationId, m.clientMsgId, m.seq, m.duplicate]),
    );
  return { db, fanOut, service, published, failpoints, kill };
}

describe('MessagePersistService', () => {
  it('group-commits partition batches handed over in one turn: one append, one fan-out, each answered alone', async () => {
    const { db, fanOut, service, published } = setup();
    const first = service.persist([accepted('a')]);
    const second = service.persist([accepted('b'), accepted('c')]);
    const third = service.persist([accepted('d'), accepted('b')]);
    await expect(first).resolves.toEqual({ stored: 1, duplicates: 0, refused: 0 });
    await expect(second).resolves.toEqual({ stored: 2, duplicates: 0, refused: 0 });
    await expect(third).resolves.toEqual({ stored: 1, duplicates: 1, refused: 0 });
    expect(db.commits).toBe(1);
    expect(fanOut).toHaveBeenCalledTimes(1);
    expect(published()).toEqual([
      [conv, 'a', 1, false],
      [conv, 'b', 2, false],
      [conv, 'c', 3, false],
      [conv, 'd', 4, false],
      [conv, 'b', 2, true],
    ]);
  });

  it('runs a poisoned group batch by batch, so only the batch holding the poison fails', async () => {
    const { db, service } = setup();
    const first = service.persist([accepted('a')]);
    const clean = service.persist([accepted('b')]);
    const nul = accepted('x');
    const poisoned = service.persist([{ ...nul, payload: { ...nul.payload, text: 'a\u0000b' } }]);
    await expect(first).resolves.toEqual({ stored: 1, duplicates: 0, refused: 0 });
    await expect(clean).resolves.toEqual({ stored: 1, duplicates: 0, refused: 0 });
    await expect(poisoned).rejects.toBeInstanceOf(PoisonEventError);
    expect(db.messages.map((m) => m.clientMsgId)).toEqual(['a', 'b']);
  });

  it('stores a batch in one append, then fans out one stored message per accepted event, with its members and origin', async () => {
    const { db, fanOut, service, published } = setup();
    const result = await service.persist([accepted('a'), accepted('b'), accepted('a')]);
    expect(result).toEqual({ stored: 2, duplicates: 1, refused: 0 });
    expect(db.commits).toBe(1);
    expect(db.messages.map((m) => [m.seq, m.clientMsgId])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    expect(fanOut).toHaveBeenCalledTimes(1);
    expect(published()).toEqual([
      [conv, 'a', 1, false],
      [conv, 'b', 2, false],
      [conv, 'a', 1, true],
    ]);
    expect(fanOut.mock.calls[0][0][0]).toEqual({
      conversationId: conv,
      seq: 1,
      senderId: alice,
      senderUsername: 'alice',
      clientMsgId: 'a',
      text: 'hello',
      serverTime: '2025-01-01T00:00:01.000Z',
      memberIds: [alice, bob],
      origin,
      duplicate: false,
      acceptedAt: '2025-01-01T00:00:00.000Z',
    });
  });

  it('replays a batch whose fan-out failed after commit as the SAME messages (same seqs)', async () => {
    const { db, fanOut, service, published } = setup();
    fanOut.mockRejectedValueOnce(new Error('Redis unavailable'));
    const batch = [accepted('a'), accepted('b')];
    await expect(service.persist(batch)).rejects.toThrow('Redis unavailable');
    expect(db.messages).toHaveLength(2);
    await service.persist(batch);
    expect(db.messages).toHaveLength(2);
    expect(db.lastSeq).toBe(2);
    expect(published()).toEqual([
      [conv, 'a', 1, false],
      [conv, 'b', 2, false],
      [conv, 'a', 1, true],
      [conv, 'b', 2, true],
    ]);
  });

  it('with storage.crash-after-commit armed, dies after the commit and before the fan-out; the redelivery fans out the same seqs', async () => {
    const { db, fanOut, service, published, failpoints, kill } = setup();
    failpoints.arm('storage.crash-after-commit');
    await expect(service.persist([accepted('a'), accepted('b')])).rejects.toThrow(
      'killed by the failpoint',
    );
    expect(kill).toHaveBeenCalledTimes(1);
    expect(db.commits).toBe(1);
    expect(fanOut).not.toHaveBeenCalled();

    // The restarted process consumes the same batch again; the failpoint is no longer armed.
    await expect(service.persist([accepted('a'), accepted('b')])).resolves.toEqual({
      stored: 0,
      duplicates: 2,
      refused: 0,
    });
    expect(kill).toHaveBeenCalledTimes(1);
    expect(published()).toEqual([
      [conv, 'a', 1, true],
      [conv, 'b', 2, true],
    ]);
  });

  it('refuses a send from a non-member (one removed before storage got to it): stores nothing for it, tells its origin', async () => {
    const { db, fanOut, service } = setup();
    const intruder = accepted('x', randomUUID());
    await expect(service.persist([accepted('ok'), intruder])).resolves.toEqual({
      stored: 1,
      duplicates: 0,
      refused: 1,
    });
    expect(db.messages.map((m) => m.clientMsgId)).toEqual(['ok']);
    expect(db.lastSeq).toBe(1);
    const outcomes = fanOut.mock.calls[0][0];
    expect(outcomes[1]).toEqual({
      conversationId: conv,
      clientMsgId: 'x',
      origin,
      refusal: { code: 'forbidden', message: 'Not a member of this conversation' },
    });
  });

  it('rolls back a lost insert race and re-plans it into the duplicate path', async () => {
    const { db, service, published } = setup();
    db.raceOnce = [
      {
        conversationId: conv,
        seq: 1,
        senderId: alice,
        clientMsgId: 'a',
        serverTime: new Date('2025-01-01T00:00:00.500Z'),
        body: 'hello',
      },
    ];
    await service.persist([accepted('a'), accepted('b')]);
    expect(db.messages.map((m) => [m.seq, m.clientMsgId])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    expect(published()).toEqual([
      [conv, 'a', 1, true],
      [conv, 'b', 2, false],
    ]);
  });

  it('treats other database errors as retriable (rethrown as is)', async () => {
    const db = new FakeDatabase();
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const repo = {
      appendAsMembers: () => Promise.reject(down),
      lookUp: () => Promise.reject(down),
    } as unknown as MessagesRepository;
    const service = new MessagePersistService(
      repo,
      { fanOut: jest.fn() } as unknown as MessageFanoutService,
      new FailpointsService(jest.fn()),
      noGroups,
    );
    await expect(service.persist([accepted('a')])).rejects.toBe(down);
    expect(db.commits).toBe(0);
  });

  it('writes a batch of new sends from members in one statement, with no look-up', async () => {
    const { db, service, published } = setup();
    await expect(service.persist([accepted('a'), accepted('b', bob)])).resolves.toEqual({
      stored: 2,
      duplicates: 0,
      refused: 0,
    });
    expect([db.memberAppends, db.lookUps, db.commits]).toEqual([1, 0, 1]);
    expect(published()).toEqual([
      [conv, 'a', 1, false],
      [conv, 'b', 2, false],
    ]);
  });

  it('after the one statement declines a run (a retry), the next runs look up first, then try it again', async () => {
    const { db, service } = setup();
    await service.persist([accepted('a')]);
    await expect(service.persist([accepted('a'), accepted('b')])).resolves.toEqual({
      stored: 1,
      duplicates: 1,
      refused: 0,
    });
    expect([db.memberAppends, db.lookUps]).toEqual([2, 1]);
    for (let i = 0; i < 16; i++) await service.persist([accepted(`later-${i}`)]);
    expect([db.memberAppends, db.lookUps]).toEqual([2, 17]);
    await service.persist([accepted('again')]);
    expect([db.memberAppends, db.lookUps]).toEqual([3, 17]);
    expect(db.messages.map((m) => m.seq)).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
  });
});
