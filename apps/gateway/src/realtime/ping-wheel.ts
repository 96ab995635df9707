/** At most this many slices of a ping interval (25 s: a slice a second). */
const MAX_PING_SLOTS = 25;
/** Slices no shorter than this (a test's 300 ms interval: 3 slices). */
const MIN_PING_TICK_MS = 100;

/** How many slices a ping interval is cut into. */
export function pingSlots(intervalMs: number): number {
  return Math.max(1, Math.min(MAX_PING_SLOTS, Math.floor(intervalMs / MIN_PING_TICK_MS)));
}

/**
 * The sockets to ping, spread over the slices of one interval: each tick pings one slot, so a
 * gateway holding thousands of sockets pings a few hundred at a time. Pinging all of them in one
 * loop stalled a 5,000-socket gateway for 50-180 ms every interval, and every message passing it
 * waited that long. A socket joins the slot pinged last, so its first ping comes one interval after
 * it joined and then one every interval: the dead-socket check (no pong since the last ping) keeps
 * its meaning.
 */
export class PingWheel<T> {
  private readonly slots: Set<T>[];
  private readonly slotOf = new Map<T, number>();
  /** The slot the next tick pings. */
  private next = 0;

  constructor(slots: number) {
    this.slots = Array.from({ length: Math.max(1, Math.floor(slots)) }, () => new Set<T>());
  }

  get size(): number {
    return this.slotOf.size;
  }

  /** The slices one interval is cut into: one slot is pinged per tick. */
  get slotCount(): number {
    return this.slots.length;
  }

  add(item: T): void {
    if (this.slotOf.has(item)) return;
    const slot = (this.next + this.slots.length - 1) % this.slots.length;
    this.slots[slot].add(item);
    this.slotOf.set(item, slot);
  }

  remove(item: T): void {
    const slot = this.slotOf.get(item);
    if (slot === undefined) return;
    this.slots[slot].delete(item);
    this.slotOf.delete(item);
  }

  /** The next slot's members (a copy: pinging one may close and remove it), and the wheel turns. */
  turn(): T[] {
    const due = [...this.slots[this.next]];
    this.next = (this.next + 1) % this.slots.length;
    return due;
  }
}
