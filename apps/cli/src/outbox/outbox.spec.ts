import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  OutboxEntry,
  addEntry,
  entriesFor,
  entriesToFlush,
  markAccepted,
  parseOutbox,
  removeEntry,
  sendFrameOf,
} from './outbox';
import { OutboxStore } from './outbox.store';

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

  it('drops malformed entries when parsing the file', () => {
    expect(parseOutbox(undefined)).toEqual([]);
    expect(parseOutbox({ entries: [entry('a'), { clientMsgId: 1 }, null] })).toEqual([entry('a')]);
  });

  it('persists to a 0600 file and survives a restart', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'parley-outbox-')), 'outbox.json');
    new OutboxStore(path).update((b) => addEntry(b, entry('a')));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = new OutboxStore(path);
    expect(again.read()).toEqual([entry('a')]);
    again.update((b) => removeEntry(b, 'a'));
    expect(new OutboxStore(path).read()).toEqual([]);
  });
});
