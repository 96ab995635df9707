import {
  ApiClient,
  ApiError,
  type ConnectionState,
  entriesFor,
  GroupChangeError,
  NotLoggedInError,
  ParleyClient,
  SendRefusedError,
} from '@parley/client';
import {
  type ConversationView,
  type DeliveredMessage,
  type ErrorFrame,
  type GroupChangeRequest,
  historyVisibilitySchema,
  type MessageReceiptsAnswer,
} from '@parley/protocol';
import type { Credentials } from '../config/config.store';
import type { ChatView } from './chat-screen';
import { formatTime, sanitize } from './message-line';
import { Timeline } from '@parley/client';

export const OFFLINE_NOTICE = 'offline — messages will be sent when the connection is back';
const HISTORY_LIMIT = 10;

/** A group chat: its conversation is known (from the conversation list). */
export interface GroupTarget {
  conversationId: string;
  title: string;
}

/** What the group commands of a group chat do (`/add bob carol`, `/leave`…). */
export const GROUP_COMMANDS_HELP =
  'group commands: /members, /add <user>…, /remove <user>…, /promote <user>…, /demote <user>…, /rename <name>, /history joined|all, /leave, /info';

/**
 * One open chat (1:1 with a peer, or a group) on the client library: ParleyClient keeps the connection, the outbox, offline
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

  private readonly peer: string;
  private readonly group: GroupTarget | undefined;
  /** The group as last read from the conversation list (members, roles, name). */
  private groupView: ConversationView | undefined;

  constructor(
    target: string | GroupTarget,
    private readonly credentials: Credentials,
    private readonly api: Pick<ApiClient, 'openConversation' | 'conversations' | 'messageReceipts'>,
    private readonly client: ParleyClient,
    private readonly onChange: (view: ChatView) => void,
    private readonly onEnd: (reason: string) => void,
  ) {
    this.timeline = new Timeline(credentials.userId, credentials.username);
    this.peer = typeof target === 'string' ? target : '';
    this.group = typeof target === 'string' ? undefined : target;
    if (this.group) this.conversationId = this.group.conversationId;
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
      // Members, roles or the name changed: read the group again.
      if (message.event && message.conversationId === this.conversationId && this.group) {
        void this.resolveConversation().then(() => this.changed());
      }
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

  /**
   * A line starting with `/` in a group chat: a group command (GROUP_COMMANDS_HELP). False when
   * the line is not one (it is sent as text).
   */
  command(line: string): boolean {
    if (line.trim() === '/info') {
      this.showInfo();
      return true;
    }
    if (!this.group || !line.startsWith('/')) return false;
    const [name, ...args] = line.slice(1).split(/\s+/).filter(Boolean);
    const members = args.map((a) => a.replace(/^@/, ''));
    let change: GroupChangeRequest | undefined;
    switch (name) {
      case 'members':
        this.notice = this.describeMembers();
        this.changed();
        return true;
      case 'leave':
        change = { op: 'leave' };
        break;
      case 'rename':
        change = args.length > 0 ? { op: 'rename', name: args.join(' ') } : undefined;
        break;
      case 'history': {
        const history = historyVisibilitySchema.safeParse(args[0]);
        change =
          history.success && args.length === 1
            ? { op: 'history', history: history.data }
            : undefined;
        break;
      }
      case 'add':
      case 'remove':
      case 'promote':
      case 'demote':
        change = members.length > 0 ? { op: name, members } : undefined;
        break;
      default:
        return false;
    }
    if (!change) {
      this.notice = GROUP_COMMANDS_HELP;
    } else {
      const op = change.op;
      this.client.changeGroup(change, this.group.conversationId).then(
        () => {
          this.notice = `done: ${op}`;
          this.changed();
        },
        (err: unknown) => {
          this.notice =
            err instanceof GroupChangeError
              ? `${op} refused: ${sanitize(err.message)} (${err.code})`
              : `${op} failed`;
          this.changed();
        },
      );
    }
    this.changed();
    return true;
  }

  view(): ChatView {
    return {
      title: this.group
        ? `${this.credentials.username} in #${this.groupView?.title ?? this.group.title}`
        : `${this.credentials.username} ↔ ${this.peer}`,
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
    if (this.group) {
      const id = this.group.conversationId;
      const found = (await this.api.conversations().catch(() => [])).find((c) => c.id === id);
      if (found) {
        this.groupView = found;
        this.client.receipts.seed(found.id, found.members);
      }
      return;
    }
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

  /**
   * `/info`: who has received and read my latest message here, and when (the server derives it
   * from the members' cursors; shown as a notice).
   */
  private showInfo(): void {
    const mine = this.timeline
      .items()
      .filter((i) => i.own && !i.event && i.seq !== undefined && i.conversationId !== undefined)
      .at(-1);
    if (!mine?.conversationId || mine.seq === undefined) {
      this.notice = 'info: you have no sent message here yet';
      this.changed();
      return;
    }
    const quoted = sanitize(mine.text.length > 20 ? `${mine.text.slice(0, 19)}…` : mine.text);
    this.api.messageReceipts(mine.conversationId, mine.seq).then(
      (answer) => {
        this.notice = `"${quoted}": ${describeReceipts(answer)}`;
        this.changed();
      },
      () => {
        this.notice = 'info: could not ask the server (offline?)';
        this.changed();
      },
    );
  }

  private describeMembers(): string {
    const view = this.groupView;
    if (!view) return 'members: not known yet';
    if (!view.active) return 'you are no longer a member of this group';
    const names = view.members.map(
      (m) => `${sanitize(m.username)}${m.role === 'admin' ? ' (admin)' : ''}`,
    );
    return `${names.length} members: ${names.join(', ')}`;
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

/** `read by bob 10:02; delivered to carol 10:01; not yet: dave` (times in local HH:MM). */
export function describeReceipts(answer: MessageReceiptsAnswer, now: Date = new Date()): string {
  const at = (iso: string | null) => (iso ? ` ${formatTime(iso, now)}` : '');
  const read = answer.members.filter((m) => m.read);
  const delivered = answer.members.filter((m) => m.delivered && !m.read);
  const waiting = answer.members.filter((m) => !m.delivered);
  const parts = [
    read.length > 0
      ? `read by ${read.map((m) => `${sanitize(m.username)}${at(m.readAt)}`).join(', ')}`
      : '',
    delivered.length > 0
      ? `delivered to ${delivered.map((m) => `${sanitize(m.username)}${at(m.deliveredAt)}`).join(', ')}`
      : '',
    waiting.length > 0 ? `not yet: ${waiting.map((m) => sanitize(m.username)).join(', ')}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : 'nobody else can read it';
}
