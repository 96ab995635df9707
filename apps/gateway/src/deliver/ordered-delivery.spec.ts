import { OrderedDelivery } from './ordered-delivery';

const C = 'c1';
const D = 'c2';

function socket(syncV2 = true, maxHeld = 5) {
  const delivery = new OrderedDelivery(maxHeld, syncV2);
  const out: string[] = [];
  const send = (text: string) => out.push(text);
  const push = (conversationId: string, seq: number) =>
    delivery.push(conversationId, seq, `${conversationId}:${seq}`, send);
  return { delivery, out, send, push };
}

describe('OrderedDelivery', () => {
  it('passes every push straight through on a socket that did not declare sync v2', () => {
    const s = socket(false);
    expect([s.push(C, 5), s.push(C, 3), s.push(C, 5)]).toEqual(['sent', 'sent', 'sent']);
    expect(s.out).toEqual(['c1:5', 'c1:3', 'c1:5']);
  });

  it('holds pushes until the sync converges, then sends only what the sync did not', () => {
    const s = socket();
    expect(s.delivery.isHolding).toBe(true);
    expect([s.push(C, 61), s.push(C, 62), s.push(D, 1)]).toEqual(['held', 'held', 'held']);
    s.delivery.know(C, 58);
    s.delivery.sent(C, 61); // the sync page held 59-61
    s.delivery.know(D, 0);
    expect(s.out).toEqual([]);
    expect(s.delivery.release(s.send)).toBe('released');
    expect(s.out).toEqual(['c1:62', 'c2:1']);
    expect(s.delivery.isHolding).toBe(false);
    expect(s.push(C, 63)).toBe('sent');
  });

  it('drops a push the socket already holds (a replay after a crash, a retry)', () => {
    const s = socket();
    s.delivery.know(C, 10);
    s.delivery.release(s.send);
    expect(s.push(C, 9)).toBe('dropped');
    expect(s.push(C, 10)).toBe('dropped');
    expect(s.push(C, 11)).toBe('sent');
    expect(s.push(C, 11)).toBe('dropped');
    expect(s.out).toEqual(['c1:11']);
  });

  it('never sends a push above a hole: it holds it and asks for a sync, whose release fills in order', () => {
    const s = socket();
    s.delivery.know(C, 10);
    s.delivery.release(s.send);
    expect(s.push(C, 12)).toBe('resync');
    expect(s.push(C, 13)).toBe('held');
    expect(s.out).toEqual([]);
    // The round the device runs sends 11 (and 12) from the database.
    s.delivery.startRound();
    s.delivery.know(C, 10);
    s.delivery.sent(C, 12);
    expect(s.delivery.release(s.send)).toBe('released');
    expect(s.out).toEqual(['c1:13']);
  });

  it('after its routes were lost, holds pushes until a round converges and releases them in order', () => {
    const s = socket();
    s.delivery.know(C, 4);
    s.delivery.release(s.send);
    expect(s.push(C, 5)).toBe('sent');
    // Seq 6 was stored while no route led here: never pushed. 7 comes after the routes are back.
    expect(s.delivery.interrupt()).toBe(true);
    expect(s.delivery.isHolding).toBe(true);
    expect(s.push(C, 7)).toBe('held');
    s.delivery.know(C, 5);
    s.delivery.sent(C, 6); // the round's page
    expect(s.delivery.release(s.send)).toBe('released');
    expect(s.out).toEqual(['c1:5', 'c1:7']);
    expect(s.push(C, 8)).toBe('sent');
  });

  it('does not interrupt a socket without sync v2: it has no rounds to run', () => {
    const s = socket(false);
    expect(s.delivery.interrupt()).toBe(false);
    expect(s.delivery.isHolding).toBe(false);
    expect(s.push(C, 3)).toBe('sent');
  });

  it("follows the socket's own acked sends: the next push after an ack is in order", () => {
    const s = socket();
    s.delivery.release(s.send);
    s.delivery.acked(C, 1); // the device wrote seq 1 of a new conversation
    expect(s.push(C, 2)).toBe('sent');
    s.delivery.acked(C, 5); // above a hole: not taken
    expect(s.push(C, 4)).toBe('resync');
  });

  it('treats a first push of an unknown conversation above seq 1 as a hole', () => {
    const s = socket();
    s.delivery.release(s.send);
    expect(s.push(D, 1)).toBe('sent');
    expect(s.push(C, 4)).toBe('resync');
  });

  it('past the bound drops what it held and asks for another round instead of releasing', () => {
    const s = socket(true, 3);
    for (const seq of [1, 2, 3, 4, 5]) s.push(C, seq);
    expect(s.delivery.heldCount).toBe(0);
    expect(s.delivery.release(s.send)).toBe('overflow');
    expect(s.delivery.isHolding).toBe(true);
    expect(s.out).toEqual([]);
    // The next round covers them; new pushes are held again and released after it.
    s.push(C, 6);
    s.delivery.sent(C, 5);
    expect(s.delivery.release(s.send)).toBe('released');
    expect(s.out).toEqual(['c1:6']);
  });

  it('keeps the pushes behind a hole found at release held, in order', () => {
    const s = socket();
    s.push(C, 3);
    s.push(C, 5);
    s.push(C, 6);
    s.delivery.know(C, 2);
    expect(s.delivery.release(s.send)).toBe('gap');
    expect(s.out).toEqual(['c1:3']);
    expect(s.delivery.heldCount).toBe(2);
    s.delivery.sent(C, 4);
    expect(s.delivery.release(s.send)).toBe('released');
    expect(s.out).toEqual(['c1:3', 'c1:5', 'c1:6']);
  });
});
