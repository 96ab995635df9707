import { type OutboxEntry, type OutboxStore, parseOutboxEntries } from '@parley/client';
import { idbDelete, idbUpdate } from './idb';

/**
 * One user's outbox in IndexedDB (the client library's OutboxStore): messages written while
 * offline survive a reload or a closed tab, and are sent, in order and with the same ids, when
 * the connection is back.
 */
export class IdbOutboxStore implements OutboxStore {
  constructor(private readonly userId: string) {}

  update(
    change: (entries: readonly OutboxEntry[]) => readonly OutboxEntry[],
  ): Promise<readonly OutboxEntry[]> {
    return idbUpdate('outbox', this.userId, (stored) => [...change(parseOutboxEntries(stored))]);
  }

  /** Log-out on a shared computer: nothing of this user stays behind. */
  clear(): Promise<void> {
    return idbDelete('outbox', this.userId);
  }
}
