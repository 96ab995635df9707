import { stateWindow } from '@parley/protocol';
import { LRUCache } from 'lru-cache';

/** A state's position: its conversation and seq, and the member's first readable seq. */
export interface DigestPosition {
  conversationId: string;
  seq: number;
  fromSeq: number;
}

/**
 * One digest. Members whose windows are the same (all but those cut by a late first seq) share
 * it: the window's start, not the member's first seq, is part of its key.
 */
interface Entry {
  seq: number;
  windowFrom: number;
  digest: string;
}

/** The most positions one conversation keeps (its members at different seqs or windows). */
const PER_CONVERSATION = 4;

/**
 * Digests of conversation states by (conversation, seq, window start), least recently used
 * conversation first out. Stored messages never change, so the digest of a conversation at a seq
 * never changes either: a device that reconnects in agreement costs no window read once its
 * states were seen (by this gateway process). Bounded by `maxEntries` digests (about 250 bytes
 * each), counted across conversations.
 *
 * Keyed by the conversation ids a `sync.states` frame already carries, each holding its few
 * positions, so a returning device's hundred look-ups build no key string per state.
 */
export class StateDigestCache {
  private readonly conversations: LRUCache<string, readonly Entry[]> | undefined;
  private readonly perConversation: number;

  constructor(maxEntries: number) {
    this.perConversation = Math.min(PER_CONVERSATION, maxEntries);
    this.conversations =
      maxEntries > 0
        ? new LRUCache({ maxSize: maxEntries, sizeCalculation: (entries) => entries.length })
        : undefined;
  }

  get(position: DigestPosition): string | undefined {
    const entries = this.conversations?.get(position.conversationId);
    if (entries === undefined) return undefined;
    const from = windowFrom(position);
    return entries.find((e) => e.seq === position.seq && e.windowFrom === from)?.digest;
  }

  set(position: DigestPosition, digest: string): void {
    if (this.conversations === undefined) return;
    const { conversationId, seq } = position;
    const from = windowFrom(position);
    const others = (this.conversations.peek(conversationId) ?? []).filter(
      (e) => e.seq !== seq || e.windowFrom !== from,
    );
    // The oldest positions make room; a changed size is counted again by setting the array anew.
    const kept = others.slice(Math.max(0, others.length - this.perConversation + 1));
    this.conversations.set(conversationId, [...kept, { seq, windowFrom: from, digest }]);
  }

  get size(): number {
    return this.conversations?.calculatedSize ?? 0;
  }
}

function windowFrom(position: DigestPosition): number {
  return stateWindow(position.seq, position.fromSeq).from;
}
