/**
 * The outbox: messages typed but not yet durable on the server. An entry is written before the
 * first send, sent again on every (re)connect with the same clientMsgId (the server's idempotency
 * key, so a retry never makes a duplicate), and removed when its `ack` arrives.
 */
export interface OutboxEntry {
  clientMsgId: string;
  /** Recipient username, for a 1:1 conversation that may not exist yet. */
  to?: string;
  conversationId?: string;
  text: string;
  /** ISO time the user sent it. */
  createdAt: string;
  /** `accepted`: Kafka holds it (not yet stored). */
  state: 'pending' | 'accepted';
}

export type Outbox = readonly OutboxEntry[];

export function addEntry(outbox: Outbox, entry: OutboxEntry): Outbox {
  if (outbox.some((e) => e.clientMsgId === entry.clientMsgId)) return outbox;
  return [...outbox, entry];
}

export function markAccepted(outbox: Outbox, clientMsgId: string, conversationId: string): Outbox {
  return outbox.map((e) =>
    e.clientMsgId === clientMsgId ? { ...e, state: 'accepted' as const, conversationId } : e,
  );
}

/** The ack (or the stored message seen through sync) makes the entry durable: prune it. */
export function removeEntry(outbox: Outbox, clientMsgId: string): Outbox {
  return outbox.filter((e) => e.clientMsgId !== clientMsgId);
}

/** What to send on (re)connect, oldest first. */
export function entriesToFlush(outbox: Outbox): OutboxEntry[] {
  return [...outbox].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Entries of one chat: by conversation id when known, else by recipient. */
export function entriesFor(outbox: Outbox, target: { conversationId?: string; to?: string }) {
  return outbox.filter(
    (e) =>
      (target.conversationId !== undefined && e.conversationId === target.conversationId) ||
      (target.to !== undefined &&
        e.conversationId === undefined &&
        e.to?.toLowerCase() === target.to.toLowerCase()),
  );
}

/** The `send` frame for an entry: conversationId when known, else `to`. */
export function sendFrameOf(entry: OutboxEntry): {
  type: 'send';
  clientMsgId: string;
  text: string;
  conversationId?: string;
  to?: string;
} {
  return entry.conversationId
    ? {
        type: 'send',
        clientMsgId: entry.clientMsgId,
        conversationId: entry.conversationId,
        text: entry.text,
      }
    : { type: 'send', clientMsgId: entry.clientMsgId, to: entry.to, text: entry.text };
}

/** Keeps only well-formed entries (the file may be from an older version or hand-edited). */
export function parseOutbox(value: unknown): Outbox {
  const list =
    value && typeof value === 'object' && Array.isArray((value as { entries?: unknown }).entries)
      ? (value as { entries: unknown[] }).entries
      : [];
  return list.filter((e): e is OutboxEntry => {
    if (!e || typeof e !== 'object') return false;
    const o = e as Record<string, unknown>;
    return (
      typeof o.clientMsgId === 'string' &&
      typeof o.text === 'string' &&
      typeof o.createdAt === 'string' &&
      (typeof o.to === 'string' || typeof o.conversationId === 'string') &&
      (o.state === 'pending' || o.state === 'accepted')
    );
  });
}
