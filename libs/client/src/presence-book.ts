import type { TypingServerFrame, UserPresence } from '@parley/protocol';

/** A member typing in a conversation, until `expiresAt` (epoch ms). */
export interface Typist {
  userId: string;
  username: string;
  expiresAt: number;
}

/**
 * What a device knows of other users' presence (from `presence` frames: the snapshot of a watch,
 * then changes) and who is typing where (from `typing` frames, until they expire or a message
 * from the typist arrives). Pure: the client feeds it frames and the time.
 */
export class PresenceBook {
  private readonly users = new Map<string, UserPresence>();
  private readonly typing = new Map<string, Map<string, Typist>>();

  /** Takes a `presence` frame's users; answers the ones whose presence changed. */
  apply(users: readonly UserPresence[]): UserPresence[] {
    const changed: UserPresence[] = [];
    for (const user of users) {
      const known = this.users.get(user.userId);
      if (known && known.online === user.online && known.lastSeenAt === user.lastSeenAt) continue;
      this.users.set(user.userId, user);
      changed.push(user);
    }
    return changed;
  }

  /** What the book holds of a user (undefined: never told). */
  of(userId: string): UserPresence | undefined {
    return this.users.get(userId);
  }

  /** Takes a `typing` frame (ignored if already expired). True when it is shown now. */
  typingStarted(frame: TypingServerFrame, now: number): boolean {
    const expiresAt = Date.parse(frame.expiresAt);
    if (!(expiresAt > now)) return false;
    let typists = this.typing.get(frame.conversationId);
    if (!typists) {
      typists = new Map();
      this.typing.set(frame.conversationId, typists);
    }
    typists.set(frame.userId, { userId: frame.userId, username: frame.username, expiresAt });
    return true;
  }

  /** A message from `userId` arrived: they stopped typing there. True if they were shown typing. */
  typingStopped(conversationId: string, userId: string): boolean {
    const typists = this.typing.get(conversationId);
    const was = typists?.delete(userId) ?? false;
    if (typists?.size === 0) this.typing.delete(conversationId);
    return was;
  }

  /** Who is typing in a conversation now, by username (expired ones are dropped). */
  typingIn(conversationId: string, now: number): Typist[] {
    const typists = this.typing.get(conversationId);
    if (!typists) return [];
    for (const [userId, typist] of typists) if (typist.expiresAt <= now) typists.delete(userId);
    if (typists.size === 0) this.typing.delete(conversationId);
    return [...typists.values()].sort((a, b) => a.username.localeCompare(b.username));
  }

  /** Conversations with someone typing whose signal expires at or before `now`: drops those signals. */
  expire(now: number): string[] {
    const changed: string[] = [];
    for (const [conversationId, typists] of this.typing) {
      let any = false;
      for (const [userId, typist] of typists) {
        if (typist.expiresAt <= now) {
          typists.delete(userId);
          any = true;
        }
      }
      if (typists.size === 0) this.typing.delete(conversationId);
      if (any) changed.push(conversationId);
    }
    return changed;
  }

  /** The earliest expiry of any shown typing signal (undefined: nobody is typing). */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const typists of this.typing.values()) {
      for (const t of typists.values())
        if (next === undefined || t.expiresAt < next) next = t.expiresAt;
    }
    return next;
  }
}

/**
 * A presence in words for a header: `online`, `last seen <when>`, or null (hidden, or never seen).
 * `when` is formatted by the caller (a terminal and a browser show times differently).
 */
export function presenceLine(
  presence: UserPresence | undefined,
  formatTime: (iso: string) => string,
): string | null {
  if (!presence || presence.online === null) return null;
  if (presence.online) return 'online';
  return presence.lastSeenAt ? `last seen ${formatTime(presence.lastSeenAt)}` : null;
}

/** Typists in words: `alice is typing…`, `alice and bob are typing…`, `3 people are typing…`. */
export function typingLine(typists: readonly Typist[]): string | null {
  if (typists.length === 0) return null;
  if (typists.length === 1) return `${typists[0].username} is typing…`;
  if (typists.length === 2) return `${typists[0].username} and ${typists[1].username} are typing…`;
  return `${typists.length} people are typing…`;
}
