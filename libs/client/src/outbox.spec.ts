import {
  OutboxEntry,
  OutboxQueue,
  addEntry,
  entriesFor,
  entriesToFlush,
  markAccepted,
  removeEntry,
  sendFrameOf,
} from './outbox';
import { MemoryOutboxStore, parseOutboxEntries } from './stores';

const CONV = '1763700000000-0123456789abcdef0123456789abcdef';
const entry = (id: string, over: Partial<OutboxEntry> = {}): OutboxEntry => ({
  clientMsgId: id,
  to: 'bob',
  text: `text ${id}`,
  createdAt: `2026-01-01T00:00:0${id.length}.000Z`,
  state: 'pending',
  ...over,
});

describe('outbox', () => {
  it('adds once per clientMsgId, accepts, and prunes on ack', () => {
    let box = addEntry([], entry('a'));
    box = addEntry(box, entry('a'));
    expect(box).toHaveLength(1);
    box = addEntry(box, entry('bb'));
    box = markAccepted(box, 'a', CONV);
    expect(box[0]).toMatchObject({ state: 'accepted', conversationId: CONV });
    box = removeEntry(box, 'a');
    expect(box.map((e) => e.clientMsgId)).toEqual(['bb']);
  });

  it('flushes oldest first and sends by conversation id once known', () => {
    const box = [entry('ccc'), entry('a', { conversationId: CONV })];
    expect(entriesToFlush(box).map((e) => e.clientMsgId)).toEqual(['a', 'ccc']);
    expect(sendFrameOf(box[1])).toEqual({
      type: 'send',
      clientMsgId: 'a',
      conversationId: CONV,
      text: 'text a',
    });
    expect(sendFrameOf(box[0])).toEqual({
      type: 'send',
      clientMsgId: 'ccc',
      to: 'bob',
      text: 'text ccc',
    });
  });

  it('selects the entries of one chat', () => {
    const box = [entry('a'), entry('b', { to: 'carol' }), entry('c', { conversationId: CONV })];
    expect(entriesFor(box, { to: 'BOB' }).map((e) => e.clientMsgId)).toEqual(['a']);
    expect(entriesFor(box, { to: 'bob', conversationId: CONV }).map((e) => e.clientMsgId)).toEqual([
      'a',
      'c',
    ]);
  });

  it('drops malformed entries when parsing what a store held', () => {
    expect(parseOutboxEntries(undefined)).toEqual([]);
    expect(parseOutboxEntries([entry('a'), { clientMsgId: 1 }, null])).toEqual([entry('a')]);
  });

  it('keeps the queue and its store in step, and loads what the store kept across a restart', async () => {
    const store = new MemoryOutboxStore();
    const queue = new OutboxQueue(store);
    await queue.add(entry('a'));
    await queue.add(entry('bb'));
    await queue.accepted('a', CONV);
    expect(queue.has('a')).toBe(true);
    const restarted = new OutboxQueue(store);
    expect((await restarted.load()).map((e) => e.clientMsgId)).toEqual(['a', 'bb']);
    await restarted.remove('a');
    expect(restarted.toFlush().map((e) => e.clientMsgId)).toEqual(['bb']);
  });
});
