import { layoutChat } from './chat-screen';
import type { TimelineItem } from '@parley/client';

const item = (text: string): TimelineItem => ({
  clientMsgId: text,
  senderUsername: 'bob',
  own: false,
  text,
  time: new Date(2026, 0, 2, 9, 5).toISOString(),
});

describe('layoutChat', () => {
  const now = new Date(2026, 0, 2, 12, 0);

  it('fills the screen: header, newest messages at the bottom, notice', () => {
    const rows = layoutChat(
      { title: 'chat with bob', connection: 'online', notice: 'hi', items: [item('a'), item('b')] },
      { columns: 30, rows: 10 },
      now,
    );
    expect(rows).toHaveLength(9); // the input line is the 10th
    expect(rows[0]).toBe('parley · chat with bob');
    expect(rows[1]).toBe('online');
    expect(rows.slice(5, 7)).toEqual(['09:05 bob: a', '09:05 bob: b']);
    expect(rows[8]).toBe('hi');
  });

  it('keeps only the newest messages that fit', () => {
    const items = Array.from({ length: 20 }, (_, i) => item(`m${i}`));
    const rows = layoutChat({ title: 't', connection: 'c', items }, { columns: 30, rows: 9 }, now);
    expect(rows.filter((r) => r.includes('bob:'))).toEqual([
      '09:05 bob: m17',
      '09:05 bob: m18',
      '09:05 bob: m19',
    ]);
  });
});
