import type { ConversationStateStore, StoredStates } from '@parley/client';
import { idbDelete, idbGet, idbUpdate } from './idb';

/**
 * One user's conversation states in IndexedDB (the client library's ConversationStateStore): a
 * reload or a reopened tab syncs from what this browser holds, so it is sent what it missed
 * rather than starting over. Ids and text hashes only, never message text.
 */
export class IdbConversationStateStore implements ConversationStateStore {
  constructor(private readonly userId: string) {}

  load(): Promise<unknown> {
    return idbGet('states', this.userId);
  }

  async save(states: StoredStates): Promise<void> {
    await idbUpdate('states', this.userId, () => states);
  }

  /** Log-out on a shared computer: nothing of this user stays behind. */
  clear(): Promise<void> {
    return idbDelete('states', this.userId);
  }
}
