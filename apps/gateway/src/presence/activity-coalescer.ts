/**
 * Which user activity goes to presence, and when: the first action of a user in a window goes at
 * once (last seen is fresh), the later ones in that window are folded into one that goes when the
 * window ends, carrying the latest time. So a user costs at most one entry of a `users.active` record per window
 * however much they do. Pure: the caller gives the time and publishes what it answers.
 */
export class ActivityCoalescer {
  private readonly users = new Map<string, { publishedAt: number; pendingAt?: number }>();

  constructor(private readonly windowMs: number) {}

  /** The user did something at `at`: the time to publish now, or undefined (folded). */
  note(userId: string, at: number): number | undefined {
    const entry = this.users.get(userId);
    if (!entry || at - entry.publishedAt >= this.windowMs) {
      this.users.set(userId, { publishedAt: at });
      return at;
    }
    entry.pendingAt = Math.max(entry.pendingAt ?? at, at);
    return undefined;
  }

  /** The folded activity whose window ended by `now`, to publish; forgets idle users. */
  due(now: number): { userId: string; at: number }[] {
    const due: { userId: string; at: number }[] = [];
    for (const [userId, entry] of this.users) {
      if (now - entry.publishedAt < this.windowMs) continue;
      if (entry.pendingAt === undefined) {
        this.users.delete(userId);
        continue;
      }
      due.push({ userId, at: entry.pendingAt });
      this.users.set(userId, { publishedAt: now });
    }
    return due;
  }

  get size(): number {
    return this.users.size;
  }
}
