import { type OutboxEntry, type OutboxStore, parseOutboxEntries } from '@parley/client';
import { readJsonFile, writeJsonFile } from '../config/json-file';

/**
 * outbox.json (mode 0600) as the client library's OutboxStore. Every change re-reads the file
 * first and writes it before answering, so two `parley` processes on one config directory (two
 * chats open) do not drop each other's entries, and an entry is on disk before it is sent.
 */
export class FileOutboxStore implements OutboxStore {
  constructor(private readonly path: string) {}

  read(): readonly OutboxEntry[] {
    const stored = readJsonFile(this.path) as { entries?: unknown } | undefined;
    return parseOutboxEntries(stored?.entries);
  }

  update(
    change: (entries: readonly OutboxEntry[]) => readonly OutboxEntry[],
  ): Promise<readonly OutboxEntry[]> {
    const before = this.read();
    const after = change(before);
    if (after !== before) writeJsonFile(this.path, { version: 1, entries: after });
    return Promise.resolve(after);
  }
}
