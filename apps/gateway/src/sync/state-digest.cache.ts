/**
 * Digests of conversation states by (conversation, seq), least recently used first out. Stored
 * messages never change, so the digest of a conversation at a seq never changes either: a device
 * that reconnects in agreement costs no window read once its states were seen (by this gateway
 * process). Bounded by `maxEntries` (about 250 bytes each).
 */
export class StateDigestCache {
  private readonly entries = new Map<string, string>();

  constructor(private readonly maxEntries: number) {}

  get(conversationId: string, seq: number): string | undefined {
    const key = `${conversationId}:${seq}`;
    const digest = this.entries.get(key);
    if (digest !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, digest);
    }
    return digest;
  }

  set(conversationId: string, seq: number, digest: string): void {
    if (this.maxEntries <= 0) return;
    const key = `${conversationId}:${seq}`;
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
