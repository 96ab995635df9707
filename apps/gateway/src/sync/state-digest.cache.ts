import { stateWindow } from '@parley/protocol';

/** A state's position: its conversation and seq, and the member's first readable seq. */
export interface DigestPosition {
  conversationId: string;
  seq: number;
  fromSeq: number;
}

/** Members whose windows are the same (all but those cut by a late first seq) share an entry. */
const keyOf = (p: DigestPosition): string =>
  `${p.conversationId}:${p.seq}:${stateWindow(p.seq, p.fromSeq).from}`;

/**
 * Digests of conversation states by (conversation, seq, window start), least recently used first
 * out. Stored messages never change, so the digest of a conversation at a seq never changes
 * either: a device that reconnects in agreement costs no window read once its states were seen (by this gateway
 * process). Bounded by `maxEntries` (about 250 bytes each).
 */
export class StateDigestCache {
  private readonly entries = new Map<string, string>();

  constructor(private readonly maxEntries: number) {}

  get(position: DigestPosition): string | undefined {
    const key = keyOf(position);
    const digest = this.entries.get(key);
    if (digest !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, digest);
    }
    return digest;
  }

  set(position: DigestPosition, digest: string): void {
    if (this.maxEntries <= 0) return;
    const key = keyOf(position);
    this.entries.delete(key);
    this.entries.set(key, digest);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
