import {
  type AckFrame,
  type AcceptedFrame,
  type ClientFrame,
  DEFAULT_MESSAGE_MAX_LENGTH,
  type DeliveredMessage,
  ErrorCode,
  type ErrorFrame,
  type HelloFrame,
  type HistoryPageFrame,
  messageTextProblem,
  type ServerFrame,
  type SyncPageFrame,
} from '@parley/protocol';
import type { ConnectionEvents, ConnectionState } from './connection';
import { DeliveredCursor } from './delivered-cursor';
import { Emitter } from './emitter';
import { OutboxEntry, OutboxQueue, SendTarget, sendFrameOf } from './outbox';
import type { OutboxStore } from './stores';

/** What the client needs of a connection: Connection, or a fake in unit tests. */
export interface ConnectionPort {
  readonly events: Emitter<ConnectionEvents>;
  readonly isOnline: boolean;
  start(): void;
  stop(reason?: string): void;
  send(frame: ClientFrame): boolean;
}

export interface ParleyClientEvents extends Record<string, unknown> {
  state: ConnectionState;
  hello: HelloFrame;
  /** A stored message this device did not hold before (live push or sync page). */
  message: { message: DeliveredMessage; source: 'live' | 'sync' };
  /** Kafka holds an own send (safe, not yet stored). */
  accepted: AcceptedFrame;
  /** An own send is stored, with its seq. */
  ack: AckFrame;
  /** An own send was refused for good (it left the outbox). */
  'send-failed': { clientMsgId: string; code: string; message: string };
  /** An error frame not about a send (or about one that will be resent). */
  notice: ErrorFrame;
  history: HistoryPageFrame;
  /** A sync run reached the end: this device holds everything the server had for it. */
  synced: { messages: number };
}

/** Send errors that retrying cannot fix: the entry leaves the outbox, marked failed. */
const FINAL_SEND_ERRORS = new Set<string>([
  ErrorCode.ValidationFailed,
  ErrorCode.PayloadTooLarge,
  ErrorCode.NotFound,
  ErrorCode.Forbidden,
]);
/** How long to wait before resending after a refusal that did not say (`unavailable`). */
const DEFAULT_RETRY_MS = 1000;
const SYNC_PAGE_LIMIT = 200;
/** A gap seen in live messages waits this long for the missing push before a sync is asked. */
const GAP_SYNC_DELAY_MS = 300;

/** Why `send` refused a message before sending it (the server would refuse it too). */
export class SendRefusedError extends Error {
  constructor(readonly problem: string) {
    super(`message ${problem}`);
    this.name = 'SendRefusedError';
  }
}

export interface ParleyClientOptions {
  connection: ConnectionPort;
  outbox: OutboxStore;
  /** Longest message text the server accepts (its MESSAGE_MAX_LENGTH). */
  messageMaxLength?: number;
  /** Ids of new messages (crypto.randomUUID by default). */
  newId?: () => string;
  now?: () => Date;
}

/**
 * The Parley client: one device's connection, outbox, offline sync and delivered cursor, with
 * typed events for a UI. Runs unchanged in Node and in a browser (it reaches the network only
 * through its connection, and keeps data only through its stores).
 *
 * - **Sending**: `send` checks the text as the server would, stores the message in the outbox,
 *   then sends it. Every hello sends the whole outbox again, oldest first, with the same client
 *   message ids (the server stores each once); a refusal that waiting cures (`rate_limited`,
 *   `overloaded`, `unavailable`) sends it again, in order, after `retryAfterMs`. An entry leaves
 *   the outbox with its `ack`, with the stored message seen through sync, or with a final
 *   refusal (`send-failed`).
 * - **Receiving**: on every hello, `sync` pages until `done`; live `message`s meanwhile. Each
 *   stored message is emitted once (`message`), however often it arrives.
 * - **Delivered cursor**: moves only over messages held with nothing missing below
 *   (DeliveredCursor); a live message above a gap asks for a sync, which fetches what is missing.
 */
export class ParleyClient {
  readonly events = new Emitter<ParleyClientEvents>();
  private readonly connection: ConnectionPort;
  private readonly outbox: OutboxQueue;
  private readonly cursor = new DeliveredCursor();
  private readonly maxLength: number;
  private readonly newId: () => string;
  private readonly now: () => Date;
  private syncing = false;
  private loading?: Promise<void>;
  private syncedMessages = 0;
  private resendTimer: ReturnType<typeof setTimeout> | undefined;
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(options: ParleyClientOptions) {
    this.connection = options.connection;
    this.outbox = new OutboxQueue(options.outbox);
    this.maxLength = options.messageMaxLength ?? DEFAULT_MESSAGE_MAX_LENGTH;
    this.newId = options.newId ?? (() => globalThis.crypto.randomUUID());
    this.now = options.now ?? (() => new Date());
  }

  /** What is still waiting to be stored, oldest first. */
  get pending(): readonly OutboxEntry[] {
    return this.outbox.toFlush();
  }

  get isOnline(): boolean {
    return this.connection.isOnline;
  }

  /**
   * Loads the outbox left from before (a page opened offline shows it, and `send` adds to it,
   * before there is any connection). Idempotent.
   */
  load(): Promise<void> {
    this.loading ??= this.outbox.load().then(() => undefined);
    return this.loading;
  }

  /** Loads the outbox, then connects. */
  async start(): Promise<void> {
    await this.load();
    if (this.unsubscribe.length === 0) {
      this.unsubscribe.push(
        this.connection.events.on('state', (state) => this.onState(state)),
        this.connection.events.on('hello', (hello) => this.onHello(hello)),
        this.connection.events.on('frame', (frame) => this.onFrame(frame)),
      );
    }
    this.connection.start();
  }

  /** The device went offline (a browser's `offline` event): stop trying until `resume`. */
  pause(reason: string): void {
    this.connection.stop(reason);
  }

  /** Connect again (back online, or "use here" after another window took over). */
  resume(): void {
    this.connection.start();
  }

  stop(reason?: string): void {
    clearTimeout(this.resendTimer);
    clearTimeout(this.gapTimer);
    for (const off of this.unsubscribe.splice(0)) off();
    this.connection.stop(reason);
  }

  /**
   * Sends a message: checked as the server would check it (throws SendRefusedError: nothing is
   * stored or sent), stored in the outbox, then sent if online (else on the next hello).
   */
  send(target: SendTarget, text: string): OutboxEntry {
    const problem = messageTextProblem(text, this.maxLength);
    if (problem) throw new SendRefusedError(problem);
    const entry: OutboxEntry = {
      clientMsgId: this.newId(),
      ...('conversationId' in target
        ? { conversationId: target.conversationId }
        : { to: target.to }),
      text,
      createdAt: this.now().toISOString(),
      state: 'pending',
    };
    void this.outbox.add(entry);
    this.connection.send(sendFrameOf(entry));
    return entry;
  }

  /** Asks for a page of history (answered by a `history` event). False while offline. */
  history(conversationId: string, limit: number, beforeSeq?: number): boolean {
    return this.connection.send({
      type: 'history',
      ref: 'history',
      conversationId,
      limit,
      ...(beforeSeq !== undefined ? { beforeSeq } : {}),
    });
  }

  /** The user has read `conversationId` up to `seq`. False while offline. */
  markRead(conversationId: string, seq: number): boolean {
    return this.connection.send({ type: 'read', conversationId, seq });
  }

  private onState(state: ConnectionState): void {
    if (state.kind !== 'online') this.syncing = false;
    this.events.emit('state', state);
  }

  private onHello(hello: HelloFrame): void {
    this.events.emit('hello', hello);
    this.flushOutbox();
    this.startSync();
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'accepted':
        void this.outbox.accepted(frame.clientMsgId, frame.conversationId);
        this.events.emit('accepted', frame);
        return;
      case 'ack':
        void this.outbox.remove(frame.clientMsgId);
        this.events.emit('ack', frame);
        return;
      case 'message':
        this.take([frame.message], 'live');
        this.reportDelivered();
        if (this.cursor.needsSync && !this.syncing) this.scheduleGapSync();
        return;
      case 'sync.page':
        this.onSyncPage(frame);
        return;
      case 'history.page':
        this.events.emit('history', frame);
        return;
      case 'error':
        this.onError(frame);
        return;
      default:
        return;
    }
  }

  private startSync(): void {
    clearTimeout(this.gapTimer);
    this.syncing = true;
    this.syncedMessages = 0;
    this.cursor.startSync();
    if (!this.connection.send({ type: 'sync', ref: 'sync', limit: SYNC_PAGE_LIMIT })) {
      this.syncing = false;
    }
  }

  private onSyncPage(page: SyncPageFrame): void {
    if (!this.syncing) return;
    this.syncedMessages += this.take(page.messages, 'sync');
    if (!page.done) {
      this.reportDelivered();
      this.connection.send({ type: 'sync', ref: 'sync', after: page.next, limit: SYNC_PAGE_LIMIT });
      return;
    }
    this.syncing = false;
    this.cursor.endSync();
    this.reportDelivered();
    this.events.emit('synced', { messages: this.syncedMessages });
    if (this.cursor.needsSync) this.scheduleGapSync();
  }

  /** Stored messages from a push or a sync page: hold, prune the outbox, emit the new ones. */
  private take(messages: readonly DeliveredMessage[], source: 'live' | 'sync'): number {
    let fresh = 0;
    for (const message of messages) {
      if (this.outbox.has(message.clientMsgId)) void this.outbox.remove(message.clientMsgId);
      if (!this.cursor.observe(message.conversationId, message.seq, source)) continue;
      fresh++;
      this.events.emit('message', { message, source });
    }
    return fresh;
  }

  private reportDelivered(): void {
    for (const report of this.cursor.takeReports()) {
      this.connection.send({ type: 'delivered', ...report });
    }
  }

  private onError(frame: ErrorFrame): void {
    const clientMsgId = frame.clientMsgId;
    if (clientMsgId !== undefined && this.outbox.has(clientMsgId)) {
      if (FINAL_SEND_ERRORS.has(frame.code)) {
        void this.outbox.remove(clientMsgId);
        this.events.emit('send-failed', { clientMsgId, code: frame.code, message: frame.message });
        return;
      }
      this.resendLater(frame.retryAfterMs ?? DEFAULT_RETRY_MS);
    }
    this.events.emit('notice', frame);
  }

  /** Everything still in the outbox, oldest first, with the same ids. */
  private flushOutbox(): void {
    for (const entry of this.outbox.toFlush()) this.connection.send(sendFrameOf(entry));
  }

  /**
   * A send was refused for now: after the server's pause the outbox is sent again, in order, so
   * the refused message and the ones written after it keep their order.
   */
  private resendLater(ms: number): void {
    if (this.resendTimer) return;
    this.resendTimer = setTimeout(() => {
      this.resendTimer = undefined;
      if (this.connection.isOnline) this.flushOutbox();
    }, ms);
  }

  private scheduleGapSync(): void {
    if (this.gapTimer) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      if (this.cursor.needsSync && !this.syncing && this.connection.isOnline) this.startSync();
    }, GAP_SYNC_DELAY_MS);
  }
}
