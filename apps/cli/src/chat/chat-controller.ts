import {
  ApiClient,
  ApiError,
  type ConnectionState,
  entriesFor,
  NotLoggedInError,
  ParleyClient,
  SendRefusedError,
} from '@parley/client';
import type { DeliveredMessage, ErrorFrame } from '@parley/protocol';
import type { Credentials } from '../config/config.store';
import type { ChatView } from './chat-screen';
import { sanitize } from './message-line';
import { Timeline } from '@parley/client';

export const OFFLINE_NOTICE = 'offline — messages will be sent when the connection is back';
const HISTORY_LIMIT = 10;

/**
 * One open 1:1 chat on the client library: ParleyClient keeps the connection, the outbox, offline
 * sync and the delivered cursor; this joins its events to the timeline and tells the screen what
 * to show. The history of this chat is reloaded on every hello; everything is merged by
 * (conversationId, seq).
 */
export class ChatController {
  private readonly timeline: Timeline;
  private conversationId: string | undefined;
  private connection: ConnectionState = { kind: 'connecting', attempt: 0 };
  private notice: string | undefined;
  private readSent = 0;
  private historyAsked = false;

  constructor(
    private readonly peer: string,
    private readonly credentials: Credentials,
    private readonly api: Pick<ApiClient, 'openConversation'>,
    private readonly client: ParleyClient,
    private readonly onChange: (view: ChatView) => void,
    private readonly onEnd: (reason: string) => void,
  ) {
    this.timeline = new Timeline(credentials.userId, credentials.username);
    const { events } = client;
    events.on('state', (state) => this.handleState(state));
    events.on('hello', () => this.handleHello());
    events.on('accepted', (frame) => {
      if (this.timeline.has(frame.clientMsgId)) this.adoptConversation(frame.conversationId);
      this.changed();
    });
    events.on('ack', (frame) => {
      if (this.timeline.has(frame.clientMsgId)) this.adoptConversation(frame.conversationId);
      if (frame.conversationId === this.conversationId) this.timeline.ack(frame);
      this.changed();
    });
    events.on('message', ({ message, source }) => {
      this.takeStored(message, source === 'live');
      this.changed();
    });
    events.on('reset', ({ conversationId, messages }) => {
      if (conversationId === this.conversationId)
        this.timeline.resetStored(conversationId, messages);
      this.changed();
    });
    events.on('history', (page) => {
      if (page.conversationId === this.conversationId) {
        for (const message of page.messages) this.timeline.addStored(message);
      }
      this.changed();
    });
    events.on('send-failed', (failure) => {
      this.timeline.fail(failure.clientMsgId, failure.message);
      this.changed();
    });
    events.on('notice', (frame) => {
      this.handleNotice(frame);
      this.changed();
    });
    events.on('receipt', (receipt) => {
      if (receipt.conversationId === this.conversationId) this.changed();
    });
  }

  /** Finds the conversation (when the server answers), shows what the outbox still holds, connects. */
  async start(): Promise<void> {
    await this.resolveConversation();
    await this.client.start();
    for (const entry of entriesFor(this.client.pending, this.target()))
      this.timeline.addPending(entry);
    this.changed();
  }

  stop(): void {
    this.client.stop();
  }

  /** The user typed a line. A text the server would refuse is refused here, at once. */
  send(text: string): void {
    try {
      const entry = this.client.send(
        this.conversationId ? { conversationId: this.conversationId } : { to: this.peer },
        text,
      );
      this.timeline.addPending(entry);
    } catch (err) {
      if (!(err instanceof SendRefusedError)) throw err;
      this.notice = `not sent: the ${err.message}`;
    }
    this.changed();
  }

  view(): ChatView {
    return {
      title: `${this.credentials.username} ↔ ${this.peer}`,
      connection: describeConnection(this.connection),
      notice: this.notice,
      items: this.timeline.items(this.client.receipts),
    };
  }

  private target() {
    return { conversationId: this.conversationId, to: this.peer };
  }

  /**
   * Finds the conversation (once), and takes its members' receipt cursors (on every hello: they
   * may have moved while this device was away).
   */
  private async resolveConversation(): Promise<void> {
    try {
      const conversation = await this.api.openConversation(this.peer);
      this.client.receipts.seed(conversation.id, conversation.members);
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
    this.historyAsked = this.client.history(this.conversationId, HISTORY_LIMIT);
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
    this.historyAsked = false;
    if (this.conversationId) this.askHistory();
    void this.resolveConversation()
      .then(() => this.changed())
      .catch(() => undefined);
  }

  /** A stored message from a push or a sync page: merge it, and tell of other chats' messages. */
  private takeStored(message: DeliveredMessage, live: boolean): void {
    if (message.conversationId === this.conversationId) {
      this.timeline.addStored(message);
    } else if (message.senderId !== this.credentials.userId && live) {
      this.notice = `new message from ${sanitize(message.senderUsername)} in another chat`;
    }
  }

  private handleNotice(frame: ErrorFrame): void {
    this.notice = `server: ${sanitize(frame.message)} (${frame.code})`;
  }

  /** Everything shown is read: move the read cursor once per new highest seq. */
  private markRead(): void {
    const seq = this.timeline.maxSeq();
    if (!this.conversationId || seq <= this.readSent) return;
    if (this.client.markRead(this.conversationId, seq)) this.readSent = seq;
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
