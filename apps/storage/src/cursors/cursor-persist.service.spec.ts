import { createEnvelope, CursorDeliveredV1, CursorsMovedV1 } from '@parley/common';
import { PoisonEventError } from '@parley/kafka';
import { randomUUID } from 'node:crypto';
import type { CursorEventEnvelope } from './cursor-persist.plan';
import type { ReceiptFanoutService } from '../fanout/receipt-fanout.service';
import { CursorPersistService } from './cursor-persist.service';
import type { CursorsRepository, DeliveredCursor, Membership } from './cursors.repository';

const conv = `1763900000000-${'c'.repeat(32)}`;
const alice = randomUUID();
const mallory = randomUUID();

function delivered(userId: string, seq: number): CursorEventEnvelope {
  return createEnvelope(
    CursorDeliveredV1,
    { conversationId: conv, userId, deviceId: 'phone', seq, at: '2025-01-01T00:00:00.000Z' },
    'gateway-1',
  );
}

/** Records each step's writes (one `advance` each); alice is the only member. */
function fakeRepository() {
  const transactions: { delivered: DeliveredCursor[] }[] = [];
  const repository = {
    findMemberships: (pairs: readonly Membership[]) =>
      Promise.resolve(pairs.filter((p) => p.userId === alice)),
    advance: (cursors: readonly DeliveredCursor[]) => {
      transactions.push({ delivered: [...cursors] });
      return Promise.resolve([]);
    },
  } as unknown as CursorsRepository;
  return { repository, transactions };
}

/** The receipt fan-out, which these tests do not look at (it has its own). */
const noReceipts = { fanOut: () => Promise.resolve() } as unknown as ReceiptFanoutService;

describe('CursorPersistService', () => {
  it('writes partition batches that arrive together in one transaction', async () => {
    const { repository, transactions } = fakeRepository();
    const service = new CursorPersistService(repository, noReceipts);
    await expect(
      Promise.all([
        service.apply([delivered(alice, 3)]),
        service.apply([delivered(alice, 5)]),
        service.apply([delivered(alice, 4)]),
      ]),
    ).resolves.toEqual([undefined, undefined, undefined]);
    expect(transactions.map((t) => t.delivered.map((c) => c.seq))).toEqual([[5]]);
  });

  it("refuses only the batch naming a non-member, with its event ids; the group's others are written", async () => {
    const { repository, transactions } = fakeRepository();
    const service = new CursorPersistService(repository, noReceipts);
    const forged = delivered(mallory, 9);
    const first = service.apply([delivered(alice, 1)]);
    const poisoned = service.apply([delivered(alice, 2), forged]);
    const clean = service.apply([delivered(alice, 7)]);
    await first;
    await expect(poisoned).rejects.toBeInstanceOf(PoisonEventError);
    await expect(poisoned).rejects.toMatchObject({ eventIds: [forged.id] });
    await expect(clean).resolves.toBeUndefined();
    expect(transactions.map((t) => t.delivered.map((c) => c.seq))).toEqual([[7]]);
  });

  it("writes a gathered record's members' moves and leaves out a non-member's, without refusing it", async () => {
    const { repository, transactions } = fakeRepository();
    const service = new CursorPersistService(repository, noReceipts);
    const gathered = createEnvelope(
      CursorsMovedV1,
      {
        delivered: [
          { conversationId: conv, userId: alice, deviceId: 'phone', seq: 4 },
          { conversationId: conv, userId: mallory, deviceId: 'phone', seq: 4 },
        ],
        read: [],
      },
      'gateway-1',
    );
    await expect(service.apply([gathered])).resolves.toBeUndefined();
    expect(transactions.map((t) => t.delivered)).toEqual([
      [{ conversationId: conv, userId: alice, deviceId: 'phone', seq: 4 }],
    ]);
  });
});
