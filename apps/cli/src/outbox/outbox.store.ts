import { readJsonFile, writeJsonFile } from '../config/json-file';
import { Outbox, parseOutbox } from './outbox';

/**
 * outbox.json (mode 0600). Every change re-reads the file first, so two `parley` processes on one
 * config directory (two chats open) do not drop each other's entries.
 */
export class OutboxStore {
  constructor(private readonly path: string) {}

  read(): Outbox {
    return parseOutbox(readJsonFile(this.path));
  }

  update(change: (outbox: Outbox) => Outbox): Outbox {
    const before = this.read();
    const after = change(before);
    if (after !== before) writeJsonFile(this.path, { version: 1, entries: after });
    return after;
  }
}
