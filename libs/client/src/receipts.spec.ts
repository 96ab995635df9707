import { ReceiptBook } from './receipts';

describe('ReceiptBook', () => {
  const conv = 'c1';

  it('takes the conversation list, then receipts, forward only', () => {
    const book = new ReceiptBook();
    book.seed(conv, [
      { id: 'me', deliveredSeq: 4, readSeq: 4 },
      { id: 'bob', deliveredSeq: 2, readSeq: 1 },
    ]);
    expect(book.mark(conv, 1, 'me')).toBe('read');
    expect(book.mark(conv, 2, 'me')).toBe('delivered');
    expect(book.mark(conv, 3, 'me')).toBe('sent');

    expect(book.apply({ conversationId: conv, userId: 'bob', deliveredSeq: 3, readSeq: 1 })).toBe(
      true,
    );
    expect(book.mark(conv, 3, 'me')).toBe('delivered');
    // Late and repeated receipts change nothing.
    expect(book.apply({ conversationId: conv, userId: 'bob', deliveredSeq: 1, readSeq: 0 })).toBe(
      false,
    );
    expect(book.apply({ conversationId: conv, userId: 'bob', deliveredSeq: 3, readSeq: 1 })).toBe(
      false,
    );
    expect(book.cursors(conv)).toContainEqual({ userId: 'bob', deliveredSeq: 3, readSeq: 1 });
  });

  it('forgets members who left: the marks count the current members only', () => {
    const book = new ReceiptBook();
    book.seed(conv, [
      { id: 'bob', deliveredSeq: 5, readSeq: 5 },
      { id: 'carol', deliveredSeq: 2, readSeq: 2 },
    ]);
    expect(book.mark(conv, 4, 'me')).toBe('sent');
    book.forget(conv, ['carol']);
    expect(book.mark(conv, 4, 'me')).toBe('read');
    expect(book.cursors(conv).map((c) => c.userId)).toEqual(['bob']);
    book.forget('other', ['bob']);
  });

  it('forgets every cursor when cleared, so a list that hides read state seeds it afresh', () => {
    const book = new ReceiptBook();
    const conv = 'c1';
    book.seed(conv, [{ id: 'bob', deliveredSeq: 5, readSeq: 5 }]);
    expect(book.mark(conv, 4, 'me')).toBe('read');
    book.seed(conv, [{ id: 'bob', deliveredSeq: 5, readSeq: 0 }]);
    expect(book.mark(conv, 4, 'me')).toBe('read'); // forward only
    book.clear();
    book.seed(conv, [{ id: 'bob', deliveredSeq: 5, readSeq: 0 }]);
    expect(book.mark(conv, 4, 'me')).toBe('delivered');
  });

  it('knows nothing of a conversation it was not told about', () => {
    const book = new ReceiptBook();
    expect(book.cursors('other')).toEqual([]);
    expect(book.mark('other', 1, 'me')).toBe('sent');
  });
});
