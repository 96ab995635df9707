/**
 * The seqs one socket was given in one conversation during a step, as a bitmap over the range
 * seen (one bit per seq): a group's socket sees every message of its group, so the range is dense
 * and a step of a million messages costs 125 KB per socket, where a Set would cost tens of MB.
 * It tells a duplicate (a seq given twice) from a late arrival (a lower seq given once).
 */
export class SeenSeqs {
  private base = 0;
  private bits = new Uint8Array(0);

  /** Seqs the bitmap can hold without growing (its span). */
  get span(): number {
    return this.bits.length * 8;
  }

  has(seq: number): boolean {
    const offset = seq - this.base;
    if (offset < 0 || offset >= this.span) return false;
    return (this.bits[offset >> 3] & (1 << (offset & 7))) !== 0;
  }

  /** Marks `seq`; false when it was marked already (a duplicate). */
  add(seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`not a seq: ${seq}`);
    if (this.span === 0) {
      this.base = seq;
      this.bits = new Uint8Array(64);
    }
    this.cover(seq);
    const offset = seq - this.base;
    const mask = 1 << (offset & 7);
    if (this.bits[offset >> 3] & mask) return false;
    this.bits[offset >> 3] |= mask;
    return true;
  }

  /** Grows the bitmap (doubling, on the side needed) until it covers `seq`. */
  private cover(seq: number): void {
    while (seq >= this.base + this.span) {
      const next = new Uint8Array(this.bits.length * 2);
      next.set(this.bits);
      this.bits = next;
    }
    while (seq < this.base) {
      // Grow downwards by whole bytes, so the existing bits keep their offsets within a byte.
      const extraBytes = Math.max(this.bits.length, Math.ceil((this.base - seq) / 8));
      const next = new Uint8Array(this.bits.length + extraBytes);
      next.set(this.bits, extraBytes);
      this.bits = next;
      this.base -= extraBytes * 8;
    }
  }
}
