import { CursorMoves } from './cursor-moves';

const conv = (n: number) => `1763900000000-${String(n).padStart(32, '0')}`;
const alice = '0b6f7c1e-0000-4000-8000-000000000001';
const bob = '0b6f7c1e-0000-4000-8000-000000000002';

describe('CursorMoves', () => {
  it('keeps each cursor once, at the highest seq reported, whatever the order', () => {
    const moves = new CursorMoves();
    moves.addDelivered({ conversationId: conv(1), userId: alice, deviceId: 'phone', seq: 5 });
    moves.addDelivered({ conversationId: conv(1), userId: alice, deviceId: 'phone', seq: 3 });
    moves.addDelivered({ conversationId: conv(1), userId: alice, deviceId: 'laptop', seq: 2 });
    moves.addRead({ conversationId: conv(1), userId: alice, seq: 1 });
    moves.addRead({ conversationId: conv(1), userId: alice, seq: 4 });
    moves.addRead({ conversationId: conv(1), userId: bob, seq: 4 });
    expect(moves.size).toBe(4);
    expect(moves.drain(100)).toEqual([
      {
        delivered: [
          { conversationId: conv(1), userId: alice, deviceId: 'phone', seq: 5 },
          { conversationId: conv(1), userId: alice, deviceId: 'laptop', seq: 2 },
        ],
        read: [
          { conversationId: conv(1), userId: alice, seq: 4 },
          { conversationId: conv(1), userId: bob, seq: 4 },
        ],
      },
    ]);
    expect(moves.size).toBe(0);
    expect(moves.drain(100)).toEqual([]);
  });

  it('cuts what it gathered into payloads of at most the given number of moves per list', () => {
    const moves = new CursorMoves();
    for (let i = 0; i < 5; i++) {
      moves.addDelivered({ conversationId: conv(i), userId: alice, deviceId: 'phone', seq: 1 });
    }
    moves.addRead({ conversationId: conv(9), userId: bob, seq: 2 });
    const payloads = moves.drain(2);
    expect(payloads.map((p) => [p.delivered.length, p.read.length])).toEqual([
      [2, 1],
      [2, 0],
      [1, 0],
    ]);
  });

  it('takes back unpublished moves without lowering a cursor that moved on meanwhile', () => {
    const moves = new CursorMoves();
    moves.addDelivered({ conversationId: conv(1), userId: alice, deviceId: 'phone', seq: 3 });
    const failed = moves.drain(100);
    moves.addDelivered({ conversationId: conv(1), userId: alice, deviceId: 'phone', seq: 7 });
    moves.addRead({ conversationId: conv(2), userId: bob, seq: 1 });
    moves.restore([
      ...failed,
      { delivered: [], read: [{ conversationId: conv(2), userId: bob, seq: 2 }] },
    ]);
    expect(moves.drain(100)).toEqual([
      {
        delivered: [{ conversationId: conv(1), userId: alice, deviceId: 'phone', seq: 7 }],
        read: [{ conversationId: conv(2), userId: bob, seq: 2 }],
      },
    ]);
  });
});
