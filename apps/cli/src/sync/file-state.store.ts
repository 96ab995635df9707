import type { ConversationStateStore, StoredStates } from '@parley/client';
import { readJsonFile, writeJsonFile } from '../config/json-file';

/**
 * states-<userId>.json (mode 0600) as the client library's ConversationStateStore: per
 * conversation how far this device holds it and the last ten messages as the state digest needs
 * them (ids and text hashes, never text). Written atomically; two `parley` processes on one
 * config directory at worst under-claim a conversation (the next sync sends it again), never
 * claim what they do not hold.
 */
export class FileConversationStateStore implements ConversationStateStore {
  constructor(private readonly path: string) {}

  load(): Promise<unknown> {
    const stored = readJsonFile(this.path) as { conversations?: unknown } | undefined;
    return Promise.resolve(stored?.conversations);
  }

  save(states: StoredStates): Promise<void> {
    writeJsonFile(this.path, { version: 1, conversations: states });
    return Promise.resolve();
  }
}
