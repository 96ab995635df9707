/**
 * Which sockets here watch whom, and which of those they may see: per socket its watched users
 * with a flag (visible or not), and per user the sockets that see them. Pure bookkeeping; each
 * change answers which users' Redis channels this box must start or stop hearing (a channel is
 * heard while any socket here sees its user).
 */
export class WatchIndex {
  private readonly bySocket = new Map<string, Map<string, boolean>>();
  private readonly seenBy = new Map<string, Set<string>>();

  /** Replaces a socket's watched users (user -> visible). */
  set(
    connectionId: string,
    watched: ReadonlyMap<string, boolean>,
  ): { subscribe: string[]; unsubscribe: string[] } {
    const before = this.bySocket.get(connectionId);
    const subscribe: string[] = [];
    const unsubscribe: string[] = [];
    for (const [userId, visible] of before ?? []) {
      if (visible && watched.get(userId) !== true && this.unsee(connectionId, userId)) {
        unsubscribe.push(userId);
      }
    }
    for (const [userId, visible] of watched) {
      if (visible && before?.get(userId) !== true && this.see(connectionId, userId)) {
        subscribe.push(userId);
      }
    }
    if (watched.size === 0) this.bySocket.delete(connectionId);
    else this.bySocket.set(connectionId, new Map(watched));
    return { subscribe, unsubscribe };
  }

  /** The socket closed. */
  drop(connectionId: string): { subscribe: string[]; unsubscribe: string[] } {
    return this.set(connectionId, new Map());
  }

  /** What a socket watches (user -> visible). */
  watchedBy(connectionId: string): ReadonlyMap<string, boolean> {
    return this.bySocket.get(connectionId) ?? new Map();
  }

  /** The sockets here that see `userId`. */
  socketsSeeing(userId: string): ReadonlySet<string> {
    return this.seenBy.get(userId) ?? new Set();
  }

  /** Sockets here that watch any of `userIds` (whether they see them or not). */
  socketsWatchingAny(userIds: ReadonlySet<string>): string[] {
    const found: string[] = [];
    for (const [connectionId, watched] of this.bySocket) {
      for (const userId of watched.keys()) {
        if (userIds.has(userId)) {
          found.push(connectionId);
          break;
        }
      }
    }
    return found;
  }

  /** Users some socket here sees (the channels this box hears). */
  heard(): string[] {
    return [...this.seenBy.keys()];
  }

  /** True when this was the first socket here seeing the user. */
  private see(connectionId: string, userId: string): boolean {
    let sockets = this.seenBy.get(userId);
    if (!sockets) {
      sockets = new Set();
      this.seenBy.set(userId, sockets);
    }
    sockets.add(connectionId);
    return sockets.size === 1;
  }

  /** True when no socket here sees the user any more. */
  private unsee(connectionId: string, userId: string): boolean {
    const sockets = this.seenBy.get(userId);
    if (!sockets) return false;
    sockets.delete(connectionId);
    if (sockets.size > 0) return false;
    this.seenBy.delete(userId);
    return true;
  }
}
