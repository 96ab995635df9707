import type { Interface } from 'node:readline';
import { ChatScreen, chatHeadline, layoutChat } from './chat-screen';
import { stripAnsi } from './message-line';
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

describe('the chat header', () => {
  const now = new Date(2026, 0, 2, 12, 0);

  it('says what is known of the others after the title', () => {
    const view = { title: 'alice ↔ bob', connection: 'online via gw', items: [] };
    expect(chatHeadline(view)).toBe('parley · alice ↔ bob');
    expect(chatHeadline({ ...view, status: 'bob is typing…' })).toBe(
      'parley · alice ↔ bob · bob is typing…',
    );
    const rows = layoutChat({ ...view, status: 'last seen 09:05' }, { columns: 40, rows: 8 }, now);
    expect(rows[0]).toBe('parley · alice ↔ bob · last seen 09:05');
    expect(rows[1]).toBe('online via gw');
  });
});

describe('ChatScreen without a full screen (pipes, TERM=dumb)', () => {
  it('prints the header status once each time it changes', () => {
    let printed = '';
    const out = { write: (text: string) => (printed += text) } as unknown as NodeJS.WriteStream;
    const rl = { prompt: () => undefined } as unknown as Interface;
    const screen = new ChatScreen(out, rl, false);
    screen.start();
    const view = { title: 'alice ↔ bob', connection: 'online via gw', items: [] };
    screen.render(view);
    screen.render({ ...view, status: 'online' });
    screen.render({ ...view, status: 'online' });
    screen.render({ ...view, status: 'bob is typing…' });
    screen.render(view);
    screen.render({ ...view, status: 'last seen 09:05' });
    expect(
      stripAnsi(printed)
        .split('\n')
        .map((l) => l.replace(/\r/g, ''))
        .filter((l) => l.startsWith('--')),
    ).toEqual([
      '-- online via gw',
      '-- parley · alice ↔ bob · online',
      '-- parley · alice ↔ bob · bob is typing…',
      '-- parley · alice ↔ bob · last seen 09:05',
    ]);
  });
});
