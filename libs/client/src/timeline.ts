import type { DeliveredMessage, MessageImage, ReceiptMark } from '@parley/protocol';

/**
 * An own message's state: `pending` until the server's ack, then `sent` (stored); `delivered`
 * once some device of every other member holds it and `read` once every other member read it
 * (derived from their receipt cursors: see ReceiptBook); `failed` if refused for good.
 */
export type MessageStatus = 'pending' | ReceiptMark | 'failed';

/** Where own stored messages stand (a ReceiptBook). */
export interface ReceiptMarks {
  mark(conversationId: string, seq: number, senderId: string): ReceiptMark;
}

export interface TimelineItem {
  conversationId?: string;
  /** Set once stored on the server; (conversationId, seq) identifies the message. */
  seq?: number;
  clientMsgId: string;
  senderUsername: string;
  own: boolean;
  text: string;
  /** Server time when stored, else the local send time (ISO). */
  time: string;
  /** Own messages only. */
  status?: MessageStatus;
  /** Why a send failed (own, failed). */
  error?: string;
  /** A membership event (a group created, members added or removed…): `text` describes it. */
  event?: boolean;
  /** An image message's image; `text` is its caption ('' for none). */
  image?: MessageImage;
  /** A disappearing message's expiry (ISO): from then on it is not shown. */
  expiresAt?: string;
  /** A tombstone: the server deleted it (it expired). Never shown. */
  expired?: boolean;
}

/**
 * The messages of one conversation as a screen shows them (terminal or web): stored messages
 * deduplicated by (conversationId, seq) and ordered by seq, then own messages not yet stored, in
 * the order typed.
 * A refused own message stays where it was in time, among the stored ones around it, so the
 * conversation that follows it does not scroll away under it.
 * Live pushes, sync pages, history pages and acks may overlap or repeat in any order; merging them
 * gives the same timeline as one fresh history read (plus what is still pending locally).
 */
export class Timeline {
  private readonly stored = new Map<string, TimelineItem>();
  private readonly local = new Map<string, TimelineItem>();

  constructor(
    private readonly myUserId: string,
    private readonly myUsername: string,
  ) {}

  /** Adds a stored message; false when it was already there (a duplicate). */
  addStored(message: DeliveredMessage): boolean {
    const key = storedKey(message.conversationId, message.seq);
    const own = message.senderId === this.myUserId;
    if (own) this.local.delete(message.clientMsgId);
    if (this.stored.has(key)) return false;
    this.stored.set(key, {
      conversationId: message.conversationId,
      seq: message.seq,
      clientMsgId: message.clientMsgId,
      senderUsername: message.senderUsername,
      own,
      text: message.text,
      time: message.serverTime,
      ...(message.image ? { image: message.image } : {}),
      ...(message.expiresAt ? { expiresAt: message.expiresAt } : {}),
      ...(message.expired ? { expired: true } : {}),
      ...(message.event ? { event: true } : { status: own ? ('sent' as const) : undefined }),
    });
    return true;
  }

  /**
   * The server's tail of this conversation replaced what the device held (`reset`): stored
   * messages from the tail's first seq on are dropped and the tail's taken instead; older ones
   * stay (the server answers for the older ones through history).
   */
  resetStored(conversationId: string, tail: readonly DeliveredMessage[]): void {
    const from = tail[0]?.seq ?? 0;
    for (const [key, item] of this.stored) {
      if (item.conversationId === conversationId && (item.seq ?? 0) >= from)
        this.stored.delete(key);
    }
    for (const message of tail) this.addStored(message);
  }

  /** An own message typed now (or still in the outbox from an earlier run). */
  addPending(entry: {
    clientMsgId: string;
    text: string;
    createdAt: string;
    image?: MessageImage;
  }): boolean {
    if (this.local.has(entry.clientMsgId) || this.findStored(entry.clientMsgId)) return false;
    this.local.set(entry.clientMsgId, {
      clientMsgId: entry.clientMsgId,
      senderUsername: this.myUsername,
      own: true,
      text: entry.text,
      ...(entry.image ? { image: entry.image } : {}),
      time: entry.createdAt,
      status: 'pending',
    });
    return true;
  }

  /** The server stored an own message: it moves into place with its seq, marked sent. */
  ack(ack: {
    clientMsgId: string;
    conversationId: string;
    seq: number;
    serverTime: string;
    expiresAt?: string;
  }) {
    const pending = this.local.get(ack.clientMsgId);
    if (!pending) return false;
    this.local.delete(ack.clientMsgId);
    const key = storedKey(ack.conversationId, ack.seq);
    if (!this.stored.has(key))
      this.stored.set(key, {
        ...pending,
        conversationId: ack.conversationId,
        seq: ack.seq,
        time: ack.serverTime,
        ...(ack.expiresAt ? { expiresAt: ack.expiresAt } : {}),
        status: 'sent',
        error: undefined,
      });
    return true;
  }

  fail(clientMsgId: string, error: string): boolean {
    const pending = this.local.get(clientMsgId);
    if (!pending) return false;
    this.local.set(clientMsgId, { ...pending, status: 'failed', error });
    return true;
  }

  has(clientMsgId: string): boolean {
    return this.local.has(clientMsgId) || this.findStored(clientMsgId) !== undefined;
  }

  /** The highest stored seq (what a `read` frame may acknowledge). */
  maxSeq(): number {
    let max = 0;
    for (const item of this.stored.values()) max = Math.max(max, item.seq ?? 0);
    return max;
  }

  /** What to show, in order; own stored messages carry their receipt mark when `receipts` is given. */
  items(receipts?: ReceiptMarks, now: number = Date.now()): TimelineItem[] {
    const stored = [...this.stored.values()]
      .filter((item) => !gone(item, now))
      .sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))
      .map((item) =>
        receipts &&
        item.own &&
        !item.event &&
        item.conversationId !== undefined &&
        item.seq !== undefined
          ? { ...item, status: receipts.mark(item.conversationId, item.seq, this.myUserId) }
          : item,
      );
    const byTime = (a: TimelineItem, b: TimelineItem) => a.time.localeCompare(b.time);
    const local = [...this.local.values()].sort(byTime);
    const failed = local.filter((i) => i.status === 'failed');
    const pending = local.filter((i) => i.status !== 'failed');
    const merged: TimelineItem[] = [];
    for (const item of stored) {
      while (failed.length > 0 && failed[0].time < item.time) merged.push(failed.shift()!);
      merged.push(item);
    }
    return [...merged, ...failed, ...pending];
  }

  /** The earliest expiry still ahead among what this timeline holds (epoch ms), if any. */
  nextExpiry(now: number = Date.now()): number | undefined {
    let next: number | undefined;
    for (const item of this.stored.values()) {
      const at = item.expiresAt === undefined ? NaN : Date.parse(item.expiresAt);
      if (at > now && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  private findStored(clientMsgId: string): TimelineItem | undefined {
    for (const item of this.stored.values())
      if (item.own && item.clientMsgId === clientMsgId) return item;
    return undefined;
  }
}

function storedKey(conversationId: string, seq: number): string {
  return `${conversationId}:${seq}`;
}

/** An expired message: a tombstone, or past its expiry (deleted here whether or not the server's word came). */
function gone(item: TimelineItem, now: number): boolean {
  return (
    item.expired === true || (item.expiresAt !== undefined && Date.parse(item.expiresAt) <= now)
  );
}
