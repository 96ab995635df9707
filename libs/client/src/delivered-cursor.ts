/**
 * A device's delivered cursor, per conversation, that only moves over messages this device
 * actually holds with nothing missing below. Messages arrive by two paths: live pushes and offline
 * sync pages. A sync page lists, per conversation, everything past the server's delivered cursor
 * for this device, contiguously: the first message of a conversation in a sync run therefore says
 * that everything below it was delivered before (the floor). A live message above a gap (a push
 * that never arrived), or in a conversation whose floor is not known yet, moves nothing: it asks
 * for a sync instead, which fetches what is missing from the server's cursor. So the cursor can
 * never skip a message, whatever happened to a push. Pure: the client wires it to frames.
 */
export class DeliveredCursor {
  /** Per conversation: everything up to `floor` is held. */
  private readonly floors = new Map<string, number>();
  /** Per conversation: seqs held above the floor (waiting for what is missing below). */
  private readonly above = new Map<string, Set<number>>();
  /** Per conversation: the seq last reported as delivered. */
  private readonly reported = new Map<string, number>();
  /** Conversations seen in the current sync run (their first message sets the floor). */
  private runSeen = new Set<string>();

  /** A sync run starts (the first `sync` after a hello, or one asked for by a gap). */
  startSync(): void {
    this.runSeen = new Set();
  }

  /**
   * The sync run reached its last page (`done`). A conversation it did not list has nothing past
   * the server's cursor, so everything this device holds of it is contiguous from there: its floor
   * rises to the highest seq held.
   */
  endSync(): void {
    for (const [conversationId, held] of this.above) {
      if (this.runSeen.has(conversationId) || held.size === 0) continue;
      this.floors.set(conversationId, Math.max(this.floors.get(conversationId) ?? 0, ...held));
      this.above.delete(conversationId);
    }
  }

  /**
   * A message this device now holds. From a sync page, the first one of its conversation in this
   * run sets the floor below it. Returns true if it was new to this device (not held before).
   */
  observe(conversationId: string, seq: number, source: 'live' | 'sync'): boolean {
    let floor = this.floors.get(conversationId);
    if (source === 'sync' && !this.runSeen.has(conversationId)) {
      this.runSeen.add(conversationId);
      if (floor === undefined || seq - 1 > floor) {
        floor = seq - 1;
        this.floors.set(conversationId, floor);
      }
    }
    if (floor === undefined && seq === 1) {
      floor = 0;
      this.floors.set(conversationId, 0);
    }
    const held = this.above.get(conversationId) ?? new Set<number>();
    if ((floor !== undefined && seq <= floor) || held.has(seq)) return false;
    held.add(seq);
    this.above.set(conversationId, held);
    if (floor === undefined) return true;
    while (held.has(floor + 1)) {
      held.delete(floor + 1);
      floor += 1;
    }
    this.floors.set(conversationId, floor);
    if (held.size === 0) this.above.delete(conversationId);
    return true;
  }

  /** True when some conversation has a message held above a gap or an unknown floor. */
  get needsSync(): boolean {
    return this.above.size > 0;
  }

  /** The highest seq held with nothing missing below, or undefined while the floor is unknown. */
  floor(conversationId: string): number | undefined {
    return this.floors.get(conversationId);
  }

  /**
   * The `delivered` reports due: every conversation whose floor moved past what was last
   * reported, once each (marked reported).
   */
  takeReports(): { conversationId: string; seq: number }[] {
    const due: { conversationId: string; seq: number }[] = [];
    for (const [conversationId, floor] of this.floors) {
      if (floor > (this.reported.get(conversationId) ?? 0)) {
        due.push({ conversationId, seq: floor });
        this.reported.set(conversationId, floor);
      }
    }
    return due;
  }
}
