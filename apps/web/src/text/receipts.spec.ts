import { receiptText, when } from './receipts';

const member = {
  id: '9d2c3b52-8a41-4f0e-9b1c-6f1d2e3a4b5c',
  username: 'bob',
  delivered: false,
  deliveredAt: null,
  read: false,
  readAt: null,
};
const at = (h: number, m: number, day = 24) => new Date(2026, 10, day, h, m).toISOString();
const NOW = new Date(2026, 10, 24, 18, 0);

describe('receipts in words', () => {
  it('says read with its time, delivered and not read, or not delivered', () => {
    expect(
      receiptText(
        { ...member, delivered: true, deliveredAt: at(10, 1), read: true, readAt: at(10, 2) },
        NOW,
      ),
    ).toBe('read 10:02');
    expect(receiptText({ ...member, delivered: true, deliveredAt: at(9, 5) }, NOW)).toBe(
      'delivered 09:05, not read yet',
    );
    expect(receiptText(member, NOW)).toBe('not delivered yet');
  });

  it('names the day of a time before today, and leaves out a time the server did not keep', () => {
    expect(when(at(23, 59, 23), NOW)).toBe('Yesterday 23:59');
    expect(when(null, NOW)).toBeUndefined();
    expect(receiptText({ ...member, delivered: true, read: true }, NOW)).toBe('read');
  });
});
