import { stateWindow } from '@parley/protocol';

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

/** A conversation's digests, and whether one was used since the clock hand last passed it. */
interface Slot {
  entries: Entry[];
  used: boolean;
}

/** The most positions one conversation keeps (its members at different seqs or windows). */
const PER_CONVERSATION = 4;

/**
 * Digests of conversation states by (conversation, seq, window start). Stored messages never
 * change, so the digest of a conversation at a seq never changes either: a device that
 * reconnects in agreement costs no window read once its states were seen (by this gateway
 * process). Bounded by `maxEntries` (about 250 bytes each).
 *
 * Evicted by the clock (second chance), an approximation of least recently used: a hit only
 * marks its conversation used, and the hand, passing conversations from the oldest, gives a
 * used one another round and drops one that was not used since it last passed. So a returning
 * device's hundred look-ups are a hundred map reads keyed by the conversation ids its frame
 * already carries: no key string built and hashed, no entry deleted and inserted again per hit.
 */
export class StateDigestCache {
  private readonly slots = new Map<string, Slot>();
  /** The clock hand: a live iterator, so it also passes conversations added after it was made. */
  private hand: IterableIterator<[string, Slot]> = this.slots.entries();
  private entries = 0;

  constructor(private readonly maxEntries: number) {}

  get(position: DigestPosition): string | undefined {
    const slot = this.slots.get(position.conversationId);
    if (slot === undefined) return undefined;
    const entry = find(slot.entries, position);
    if (entry === undefined) return undefined;
    slot.used = true;
    return entry.digest;
  }

  set(position: DigestPosition, digest: string): void {
    if (this.maxEntries <= 0) return;
    const { conversationId } = position;
    const slot = this.slots.get(conversationId);
    let added: Slot | undefined;
    if (slot === undefined) {
      added = { entries: [entryOf(position, digest)], used: false };
      this.slots.set(conversationId, added);
      this.entries++;
    } else {
      slot.used = true;
      const known = find(slot.entries, position);
      if (known !== undefined) {
        known.digest = digest;
        return;
      }
      if (slot.entries.length >= PER_CONVERSATION) slot.entries.shift();
      else this.entries++;
      slot.entries.push(entryOf(position, digest));
    }
    while (this.entries > this.maxEntries) this.evictOne(added);
  }

  get size(): number {
    return this.entries;
  }

  /**
   * Drops the first conversation the hand finds unused since it last passed, never `added`: a
   * conversation just added sits at the map's end, which the hand may be about to reach, and is
   * not dropped to make room for itself. (With `added` holding one entry and the bound at least
   * one, another conversation is always there to drop.)
   */
  private evictOne(added: Slot | undefined): void {
    for (;;) {
      let next = this.hand.next();
      if (next.done) {
        this.hand = this.slots.entries();
        next = this.hand.next();
        if (next.done) return;
      }
      const [conversationId, slot] = next.value;
      if (slot === added) continue;
      if (slot.used) {
        slot.used = false;
        continue;
      }
      this.slots.delete(conversationId);
      this.entries -= slot.entries.length;
      return;
    }
  }
}

function entryOf(position: DigestPosition, digest: string): Entry {
  return { seq: position.seq, windowFrom: windowFrom(position), digest };
}

function windowFrom(position: DigestPosition): number {
  return stateWindow(position.seq, position.fromSeq).from;
}

function find(entries: readonly Entry[], position: DigestPosition): Entry | undefined {
  const from = windowFrom(position);
  for (const e of entries) if (e.seq === position.seq && e.windowFrom === from) return e;
  return undefined;
}
