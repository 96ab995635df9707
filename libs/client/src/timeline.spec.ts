import { Timeline } from './timeline';
import {
  FIXTURE_CONVERSATION as CONV,
  FIXTURE_ME as ME,
  deliveredMessage as msg,
} from '@parley/testing/delivered-message.fixture';

const texts = (t: Timeline) => t.items().map((i) => `${i.text}${i.status ? `:${i.status}` : ''}`);

describe('Timeline: disappearing messages', () => {
  it('hides a message once its expiry passed, and a tombstone always; says when the next one goes', () => {
    const t = new Timeline(ME, 'alice');
    t.addStored(msg(1));
    t.addStored(msg(2, { expiresAt: '2026-11-25T10:00:02.000Z' }));
    t.addStored(msg(3, { expiresAt: '2026-11-25T10:00:05.000Z' }));
    t.addStored(msg(4, { text: '', expired: true }));
    const at = (iso: string) => Date.parse(iso);
    const shown = (now: string) => t.items(undefined, at(now)).map((i) => i.seq);
    expect(shown('2026-11-25T10:00:01.000Z')).toEqual([1, 2, 3]);
    expect(shown('2026-11-25T10:00:02.000Z')).toEqual([1, 3]);
    expect(shown('2026-11-25T10:00:06.000Z')).toEqual([1]);
    expect(t.nextExpiry(at('2026-11-25T10:00:01.000Z'))).toBe(at('2026-11-25T10:00:02.000Z'));
    expect(t.nextExpiry(at('2026-11-25T10:00:03.000Z'))).toBe(at('2026-11-25T10:00:05.000Z'));
    expect(t.nextExpiry(at('2026-11-25T10:00:06.000Z'))).toBeUndefined();
  });
});

describe('Timeline', () => {
  it("takes a reset: from the tail's first seq on, the tail replaces what it showed", () => {
    const t = new Timeline(ME, 'alice');
    for (const seq of [1, 2, 3, 4]) t.addStored(msg(seq, { text: `local ${seq}` }));
    t.resetStored(CONV, [msg(3), msg(4), msg(5)]);
    expect(texts(t)).toEqual(['local 1', 'local 2', 'm3', 'm4', 'm5']);
  });

  it('dedupes by (conversationId, seq) and orders by seq whatever the arrival order', () => {
    const t = new Timeline(ME, 'alice');
    expect(t.addStored(msg(3))).toBe(true);
    expect(t.addStored(msg(1))).toBe(true);
    expect(t.addStored(msg(3))).toBe(false);
    t.addStored(msg(2));
    expect(texts(t)).toEqual(['m1', 'm2', 'm3']);
    expect(t.maxSeq()).toBe(3);
  });

  it('stale state + events == fresh state (reconnect: history and sync overlap the live pushes)', () => {
    const live = new Timeline(ME, 'alice');
    [1, 2, 5].forEach((s) => live.addStored(msg(s)));
    [3, 4, 5].forEach((s) => live.addStored(msg(s))); // sync after reconnect
    [1, 2, 3, 4, 5].forEach((s) => live.addStored(msg(s))); // history page
    const fresh = new Timeline(ME, 'alice');
    [1, 2, 3, 4, 5].forEach((s) => fresh.addStored(msg(s)));
    expect(live.items()).toEqual(fresh.items());
  });

  it('keeps own messages pending after stored ones until the ack, then puts them by seq', () => {
    const t = new Timeline(ME, 'alice');
    t.addStored(msg(1));
    t.addPending({ clientMsgId: 'x', text: 'hi', createdAt: '2026-01-01T00:01:00.000Z' });
    expect(texts(t)).toEqual(['m1', 'hi:pending']);
    t.addStored(msg(3));
    expect(texts(t)).toEqual(['m1', 'm3', 'hi:pending']);
    t.ack({
      clientMsgId: 'x',
      conversationId: CONV,
      seq: 2,
      serverTime: '2026-01-01T00:00:02.000Z',
    });
    expect(texts(t)).toEqual(['m1', 'hi:sent', 'm3']);
  });

  it('treats an own message seen through sync (another device or a lost ack) as sent', () => {
    const t = new Timeline(ME, 'alice');
    t.addPending({ clientMsgId: 'x', text: 'hi', createdAt: '2026-01-01T00:01:00.000Z' });
    t.addStored(msg(4, { senderId: ME, senderUsername: 'alice', clientMsgId: 'x', text: 'hi' }));
    expect(texts(t)).toEqual(['hi:sent']);
    expect(t.addPending({ clientMsgId: 'x', text: 'hi', createdAt: 'z' })).toBe(false);
    expect(t.ack({ clientMsgId: 'x', conversationId: CONV, seq: 4, serverTime: 'z' })).toBe(false);
  });

  it('marks a refused send as failed', () => {
    const t = new Timeline(ME, 'alice');
    t.addPending({ clientMsgId: 'x', text: 'hi', createdAt: '2026-01-01T00:01:00.000Z' });
    t.fail('x', 'too long');
    expect(t.items()[0]).toMatchObject({ status: 'failed', error: 'too long' });
  });

  it('keeps a refused message at its place in time, not below everything said after it', () => {
    const t = new Timeline(ME, 'alice');
    t.addStored(msg(1, { serverTime: '2026-01-01T00:00:01.000Z' }));
    t.addPending({ clientMsgId: 'x', text: 'refused', createdAt: '2026-01-01T00:00:02.000Z' });
    t.fail('x', 'too long');
    t.addStored(msg(2, { serverTime: '2026-01-01T00:00:03.000Z' }));
    t.addStored(msg(3, { serverTime: '2026-01-01T00:00:04.000Z' }));
    t.addPending({ clientMsgId: 'y', text: 'typing on', createdAt: '2026-01-01T00:00:05.000Z' });
    expect(texts(t)).toEqual(['m1', 'refused:failed', 'm2', 'm3', 'typing on:pending']);
  });
});
