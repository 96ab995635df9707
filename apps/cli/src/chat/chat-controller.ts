import { randomUUID } from 'node:crypto';
import type { ClientFrame, DeliveredMessage, ErrorFrame, ServerFrame } from '@parley/common';
import type { ApiClient } from '../api/api.client';
import { ApiError, NotLoggedInError } from '../api/api.errors';
import type { Credentials } from '../config/config.store';
import {
  addEntry,
  entriesFor,
  entriesToFlush,
  markAccepted,
  OutboxEntry,
  removeEntry,
  sendFrameOf,
} from '../outbox/outbox';
import type { OutboxStore } from '../outbox/outbox.store';
import type { ConnectionState, SocketSessionHandlers } from '../session/socket-session';
import type { ChatView } from './chat-screen';
import { sanitize } from './message-line';
import { Timeline } from './timeline';

/** What the controller needs of a connection (SocketSession; a fake in specs). */
export interface SessionPort {
  start(): void;
  stop(): void;
  send(frame: ClientFrame): boolean;
}

export const OFFLINE_NOTICE = 'offline — messages will be sent when the connection is back';
const HISTORY_LIMIT = 10;
const SYNC_LIMIT = 200;
/** Send errors that retrying cannot fix: the entry leaves the outbox, marked failed. */
const FINAL_SEND_ERRORS = new Set([
  'validation_failed',
  'payload_too_large',
  'not_found',
  'forbidden',
]);

/**
 * One open 1:1 chat: joins the socket session, the outbox and the timeline, and tells the screen
 * what to show. Delivery rules: every own message goes to the outbox before the first send and is
 * sent again on each (re)connect until acked; on each hello the device syncs what it missed
 * (following `next` until `done`) and reports `delivered` per conversation; the history of this
 * chat is reloaded; everything is merged by (conversationId, seq).
 */
export class ChatController {
  private readonly timeline: Timeline;
  private readonly session: SessionPort;
  private conversationId: string | undefined;
  private connection: ConnectionState = { kind: 'connecting', attempt: 0 };
  private notice: string | undefined;
  private readSent = 0;
  private historyAsked = false;
  private resendTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly peer: string,
    private readonly credentials: Credentials,
    private readonly api: ApiClient,
    private readonly outbox: OutboxStore,
    createSession: (handlers: SocketSessionHandlers) => SessionPort,
    private readonly onChange: (view: ChatView) => void,
    private readonly onEnd: (reason: string) => void,
  ) {
    this.timeline = new Timeline(credentials.userId, credentials.username);
    this.session = createSession({
      onState: (state) => this.handleState(state),
      onHello: () => this.handleHello(),
      onFrame: (frame) => this.handleFrame(frame),
    });
  }

  /** Finds the conversation (when the server answers), shows what the outbox still holds, connects. */
  async start(): Promise<void> {
    await this.resolveConversation();
    for (const entry of entriesFor(this.outbox.read(), this.target()))
      this.timeline.addPending(entry);
    this.session.start();
    this.changed();
  }

  stop(): void {
    clearTimeout(this.resendTimer);
    this.session.stop();
  }

  /** The user typed a line. */
  send(text: string): void {
    const entry: OutboxEntry = {
      clientMsgId: randomUUID(),
      to: this.peer,
      conversationId: this.conversationId,
      text,
      createdAt: new Date().toISOString(),
      state: 'pending',
    };
    this.outbox.update((box) => addEntry(box, entry));
    this.timeline.addPending(entry);
    this.session.send(sendFrameOf(entry));
    this.changed();
  }

  view(): ChatView {
    return {
      title: `${this.credentials.username} ↔ ${this.peer}`,
      connection: describeConnection(this.connection),
      notice: this.notice,
      items: this.timeline.items(),
    };
  }

  private target() {
    return { conversationId: this.conversationId, to: this.peer };
  }

  private async resolveConversation(): Promise<void> {
    if (this.conversationId) return;
    try {
      const conversation = await this.api.openConversation(this.peer);
      this.adoptConversation(conversation.id);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 400))
        throw new ChatError(`cannot chat with ${this.peer}: ${err.message}`);
      if (err instanceof NotLoggedInError) throw err;
      // Offline: sends go by username until an ack names the conversation.
    }
  }

  private adoptConversation(conversationId: string): void {
    if (this.conversationId) return;
    this.conversationId = conversationId;
    this.askHistory();
  }

  private askHistory(): void {
    if (!this.conversationId || this.historyAsked) return;
    this.historyAsked = this.session.send({
      type: 'history',
      ref: 'history',
      conversationId: this.conversationId,
      limit: HISTORY_LIMIT,
    });
  }

  private handleState(state: ConnectionState): void {
    this.connection = state;
    if (state.kind === 'offline') this.notice = OFFLINE_NOTICE;
    if (state.kind === 'online' && this.notice === OFFLINE_NOTICE) this.notice = undefined;
    if (state.kind === 'stopped' && state.reason) {
      this.notice = state.reason;
      this.onEnd(state.reason);
    }
    this.changed();
  }

  private handleHello(): void {
    this.flushOutbox();
    this.session.send({ type: 'sync', ref: 'sync', limit: SYNC_LIMIT });
    this.historyAsked = false;
    if (this.conversationId) this.askHistory();
    else void this.resolveConversation().catch(() => undefined);
  }

  private handleFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'accepted':
        this.outbox.update((box) => markAccepted(box, frame.clientMsgId, frame.conversationId));
        if (this.timeline.has(frame.clientMsgId)) this.adoptConversation(frame.conversationId);
        break;
      case 'ack':
        this.outbox.update((box) => removeEntry(box, frame.clientMsgId));
        if (this.timeline.has(frame.clientMsgId)) this.adoptConversation(frame.conversationId);
        if (frame.conversationId === this.conversationId) this.timeline.ack(frame);
        break;
      case 'message':
        this.takeStored([frame.message], true);
        break;
      case 'sync.page':
        this.takeStored(frame.messages, false);
        if (!frame.done)
          this.session.send({ type: 'sync', ref: 'sync', after: frame.next, limit: SYNC_LIMIT });
        break;
      case 'history.page':
        if (frame.conversationId === this.conversationId)
          for (const message of frame.messages) this.timeline.addStored(message);
        break;
      case 'error':
        this.handleError(frame);
        break;
      default:
        return;
    }
    this.changed();
  }

  /** Stored messages from a push or a sync page: merge, prune the outbox, report `delivered`. */
  private takeStored(messages: DeliveredMessage[], live: boolean): void {
    const delivered = new Map<string, number>();
    const elsewhere = new Set<string>();
    for (const message of messages) {
      if (message.senderId === this.credentials.userId)
        this.outbox.update((box) => removeEntry(box, message.clientMsgId));
      delivered.set(
        message.conversationId,
        Math.max(delivered.get(message.conversationId) ?? 0, message.seq),
      );
      if (message.conversationId === this.conversationId) this.timeline.addStored(message);
      else if (message.senderId !== this.credentials.userId) elsewhere.add(message.senderUsername);
    }
    for (const [conversationId, seq] of delivered)
      this.session.send({ type: 'delivered', conversationId, seq });
    if (elsewhere.size > 0 && live)
      this.notice = `new message from ${sanitize([...elsewhere].join(', '))} in another chat`;
  }

  private handleError(frame: ErrorFrame): void {
    if (frame.clientMsgId && FINAL_SEND_ERRORS.has(frame.code)) {
      this.outbox.update((box) => removeEntry(box, frame.clientMsgId ?? ''));
      this.timeline.fail(frame.clientMsgId, frame.message);
      return;
    }
    if (frame.clientMsgId && frame.retryAfterMs !== undefined) this.resendLater(frame.retryAfterMs);
    this.notice = `server: ${sanitize(frame.message)} (${frame.code})`;
  }

  /** Everything still in the outbox, oldest first, with the same ids (a resend stores nothing twice). */
  private flushOutbox(): void {
    for (const entry of entriesToFlush(this.outbox.read())) this.session.send(sendFrameOf(entry));
  }

  /**
   * A send was refused for now (rate_limited, overloaded): after the server's pause the outbox is
   * sent again, in order, so the refused message and the ones typed after it keep their order.
   */
  private resendLater(ms: number): void {
    if (this.resendTimer) return;
    this.resendTimer = setTimeout(() => {
      this.resendTimer = undefined;
      this.flushOutbox();
    }, ms);
    this.resendTimer.unref();
  }

  /** Everything shown is read: move the read cursor once per new highest seq. */
  private markRead(): void {
    const seq = this.timeline.maxSeq();
    if (!this.conversationId || seq <= this.readSent) return;
    if (this.session.send({ type: 'read', conversationId: this.conversationId, seq }))
      this.readSent = seq;
  }

  private changed(): void {
    this.markRead();
    this.onChange(this.view());
  }
}

export class ChatError extends Error {}

export function describeConnection(state: ConnectionState): string {
  switch (state.kind) {
    case 'connecting':
      return state.attempt === 0 ? 'connecting…' : `reconnecting… (attempt ${state.attempt + 1})`;
    case 'online':
      return `online via ${state.gatewayId}`;
    case 'offline':
      return `offline: ${state.reason}; retrying in ${Math.ceil(state.retryInMs / 1000)} s`;
    case 'stopped':
      return state.reason ? `disconnected: ${state.reason}` : 'disconnected';
  }
}
