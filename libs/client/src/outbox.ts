import type { SendFrame } from '@parley/protocol';
import type { OutboxEntry, OutboxStore } from './stores';

export type { OutboxEntry };
export type Outbox = readonly OutboxEntry[];

/** Where a message goes: a conversation, or a user for a 1:1 that may not exist yet. */
export type SendTarget = { conversationId: string } | { to: string };

export function addEntry(outbox: Outbox, entry: OutboxEntry): Outbox {
  if (outbox.some((e) => e.clientMsgId === entry.clientMsgId)) return outbox;
  return [...outbox, entry];
}

export function markAccepted(outbox: Outbox, clientMsgId: string, conversationId: string): Outbox {
  if (!outbox.some((e) => e.clientMsgId === clientMsgId)) return outbox;
  return outbox.map((e) =>
    e.clientMsgId === clientMsgId ? { ...e, state: 'accepted' as const, conversationId } : e,
  );
}

/** The ack (or the stored message seen through sync) makes the entry durable: prune it. */
export function removeEntry(outbox: Outbox, clientMsgId: string): Outbox {
  if (!outbox.some((e) => e.clientMsgId === clientMsgId)) return outbox;
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

/**
 * The `send` frame for an entry: conversationId when known, else `to`. `acceptedFrame: false`
 * asks the gateway for the `ack` alone (no `accepted` frame).
 */
export function sendFrameOf(entry: OutboxEntry, acceptedFrame = true): SendFrame {
  const target = entry.conversationId ? { conversationId: entry.conversationId } : { to: entry.to };
  return {
    type: 'send',
    clientMsgId: entry.clientMsgId,
    ...target,
    text: entry.text,
    ...(entry.image ? { image: { id: entry.image.id } } : {}),
    ...(acceptedFrame ? {} : { accepted: false }),
  };
}

/**
 * The outbox: messages written but not yet durable on the server, in the order they were written.
 * An entry is stored before the first send, sent again with the same clientMsgId (the server's
 * idempotency key, so a retry never makes a duplicate) after every reconnect and after any
 * refusal that waiting cures, and removed when its `ack` (or the stored message itself) arrives.
 * Every change goes through the store, so entries survive a restart (a file, IndexedDB).
 */
export class OutboxQueue {
  private entries: Outbox = [];

  constructor(private readonly store: OutboxStore) {}

  /** Reads what the store holds (after a restart: what was left unsent). */
  async load(): Promise<Outbox> {
    this.entries = await this.store.update((e) => e);
    return this.entries;
  }

  get all(): Outbox {
    return this.entries;
  }

  has(clientMsgId: string): boolean {
    return this.entries.some((e) => e.clientMsgId === clientMsgId);
  }

  get(clientMsgId: string): OutboxEntry | undefined {
    return this.entries.find((e) => e.clientMsgId === clientMsgId);
  }

  add(entry: OutboxEntry): Promise<Outbox> {
    return this.change((box) => addEntry(box, entry));
  }

  accepted(clientMsgId: string, conversationId: string): Promise<Outbox> {
    return this.change((box) => markAccepted(box, clientMsgId, conversationId));
  }

  remove(clientMsgId: string): Promise<Outbox> {
    return this.change((box) => removeEntry(box, clientMsgId));
  }

  /** Oldest first. */
  toFlush(): OutboxEntry[] {
    return entriesToFlush(this.entries);
  }

  private async change(update: (outbox: Outbox) => Outbox): Promise<Outbox> {
    this.entries = update(this.entries);
    this.entries = await this.store.update(update);
    return this.entries;
  }
}
