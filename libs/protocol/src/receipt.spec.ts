import { receiptMark } from './receipt';

describe('receiptMark', () => {
  const me = 'me';
  const cursor = (userId: string, deliveredSeq: number, readSeq: number) => ({
    userId,
    deliveredSeq,
    readSeq,
  });

  it('is sent until every other member holds the message, then delivered, then read', () => {
    expect(receiptMark(3, me, [cursor(me, 9, 9), cursor('b', 2, 0)])).toBe('sent');
    expect(receiptMark(3, me, [cursor(me, 0, 0), cursor('b', 3, 0)])).toBe('delivered');
    expect(receiptMark(3, me, [cursor('b', 3, 3)])).toBe('read');
  });

  it('in a group, needs every other member: delivered-to-all and read-by-all', () => {
    const group = [cursor(me, 5, 5), cursor('b', 5, 5), cursor('c', 4, 1)];
    expect(receiptMark(5, me, group)).toBe('sent');
    expect(receiptMark(4, me, group)).toBe('delivered');
    expect(receiptMark(1, me, group)).toBe('read');
  });

  it('counts a read position as delivered, and knows no mark without another member', () => {
    expect(receiptMark(2, me, [cursor('b', 0, 2)])).toBe('read');
    expect(receiptMark(1, me, [cursor(me, 5, 5)])).toBe('sent');
    expect(receiptMark(1, me, [])).toBe('sent');
  });
});
