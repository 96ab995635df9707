import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addEntry, type OutboxEntry, removeEntry } from '@parley/client';
import { FileOutboxStore } from './file-outbox.store';

const entry = (id: string): OutboxEntry => ({
  clientMsgId: id,
  to: 'bob',
  text: `text ${id}`,
  createdAt: '2026-01-01T00:00:01.000Z',
  state: 'pending',
});

describe('FileOutboxStore', () => {
  it('persists to a 0600 file and survives a restart', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'parley-outbox-')), 'outbox.json');
    await new FileOutboxStore(path).update((b) => addEntry(b, entry('a')));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = new FileOutboxStore(path);
    expect(again.read()).toEqual([entry('a')]);
    await again.update((b) => removeEntry(b, 'a'));
    expect(new FileOutboxStore(path).read()).toEqual([]);
  });

  it('applies each change to what is on disk now (two processes on one directory)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'parley-outbox-')), 'outbox.json');
    const one = new FileOutboxStore(path);
    const two = new FileOutboxStore(path);
    await one.update((b) => addEntry(b, entry('a')));
    await two.update((b) => addEntry(b, entry('b')));
    expect(one.read().map((e) => e.clientMsgId)).toEqual(['a', 'b']);
  });
});
