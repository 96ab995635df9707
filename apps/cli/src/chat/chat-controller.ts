import {
  ApiClient,
  ApiError,
  type ConnectionState,
  ExpiryAlarm,
  entriesFor,
  GroupChangeError,
  NotLoggedInError,
  ParleyClient,
  SendRefusedError,
} from '@parley/client';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  type ConversationView,
  type DeliveredMessage,
  describeTimer,
  type ErrorFrame,
  type GroupChangeRequest,
  historyVisibilitySchema,
  IMAGE_FORMAT_TYPES,
  type MessageImage,
  type MessageReceiptsAnswer,
  messageTextProblem,
  sniffImageFormat,
} from '@parley/protocol';
import type { Credentials } from '../config/config.store';
import type { ChatView } from './chat-screen';
import { IMAGE_COMMANDS_HELP, imageLabel, parseImageCommand } from './chat-images';
import { parseTimerCommand, TIMER_HELP } from './chat-timer';
import { formatTime, sanitize } from './message-line';
import { chatStatus, isTypingText } from './presence-status';
import { Timeline } from '@parley/client';

export const OFFLINE_NOTICE = 'offline — messages will be sent when the connection is back';
const HISTORY_LIMIT = 10;

/** A group chat: its conversation is known (from the conversation list). */
export interface GroupTarget {
  conversationId: string;
  title: string;
}

/** Where `/image` reads and `/save` writes (the file system; a fake in unit tests). */
export interface ImageFiles {
  read(path: string): Promise<Uint8Array>;
  write(path: string, bytes: Uint8Array): Promise<void>;
}

const NODE_FILES: ImageFiles = {
  read: async (path) => new Uint8Array(await readFile(path)),
  // Never over an existing file: `wx`.
  write: (path, bytes) => writeFile(path, bytes, { flag: 'wx', mode: 0o600 }),
};

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
  /** The 1:1 peer's user id, once the conversation is known: its presence is watched. */
  private peerId: string | undefined;
  private readonly group: GroupTarget | undefined;
  /** The group as last read from the conversation list (members, roles, name). */
  private groupView: ConversationView | undefined;
  /** The group being read again after an event (members, roles or name changed), while it is. */
  private groupRefresh: Promise<void> | undefined;
  /** Disappearing messages here: the timer in seconds (null: messages stay). */
  private timerSeconds: number | null = null;
  private readonly expiry = new ExpiryAlarm(() => this.changed());

  constructor(
    target: string | GroupTarget,
    private readonly credentials: Credentials,
    private readonly api: Pick<
      ApiClient,
      'openConversation' | 'conversations' | 'messageReceipts' | 'uploadImage' | 'image'
    >,
    private readonly client: ParleyClient,
    private readonly onChange: (view: ChatView) => void,
    private readonly onEnd: (reason: string) => void,
    private readonly files: ImageFiles = NODE_FILES,
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
        const refresh = this.resolveConversation().then(() => this.changed());
        this.groupRefresh = refresh;
        void refresh.finally(() => {
          if (this.groupRefresh === refresh) this.groupRefresh = undefined;
        });
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
    events.on('presence', (users) => {
      if (users.some((u) => u.userId === this.peerId)) this.changed();
    });
    events.on('typing', ({ conversationId }) => {
      if (conversationId === this.conversationId) this.changed();
    });
  }

  /** Finds the conversation (when the server answers), shows what the outbox still holds, connects. */
  async start(): Promise<void> {
    await this.resolveConversation();
    await this.client.start();
    // Opening a chat is activity (last seen moves); the client's first hello reports it too.
    this.client.noteActivity();
    for (const entry of entriesFor(this.client.pending, this.target()))
      this.timeline.addPending(entry);
    this.changed();
  }

  /**
   * The input line changed (a keystroke): while it holds a message being typed, the others are
   * told (the client sends at most one `typing` signal per few seconds). Not in channels, and not
   * before the conversation is known.
   */
  input(line: string): void {
    if (!this.conversationId || !isTypingText(line)) return;
    if (this.group && (this.groupView?.kind !== 'group' || !this.groupView.active)) return;
    this.client.typing(this.conversationId);
  }

  /**
   * The terminal gained or lost the focus: the user is online while a device is in the
   * foreground (coming back is activity; leaving is not).
   */
  focus(focused: boolean): void {
    this.client.setForeground(focused);
  }

  stop(): void {
    this.expiry.clear();
    this.client.stop();
  }

  /** The user typed a line. A text the server would refuse is refused here, at once. */
  send(text: string, image?: MessageImage): void {
    try {
      const entry = this.client.send(
        this.conversationId ? { conversationId: this.conversationId } : { to: this.peer },
        text,
        image ? { image } : {},
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
    const timer = parseTimerCommand(line);
    if (timer !== undefined) {
      this.setTimer(timer);
      return true;
    }
    const image = parseImageCommand(line);
    if (image) {
      if (image.kind === 'image') void this.sendImage(image.path, image.caption);
      else if (image.kind === 'save') void this.saveImage(image.nth, image.file);
      else this.notice = IMAGE_COMMANDS_HELP;
      this.changed();
      return true;
    }
    if (!this.group || !line.startsWith('/')) return false;
    const [name, ...args] = line.slice(1).split(/\s+/).filter(Boolean);
    const members = args.map((a) => a.replace(/^@/, ''));
    let change: GroupChangeRequest | undefined;
    switch (name) {
      case 'members':
        // Right after a group event the list is being read again: answer with the new one.
        if (this.groupRefresh) {
          void this.groupRefresh.then(() => {
            this.notice = this.describeMembers();
            this.changed();
          });
          return true;
        }
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

  /**
   * `/image <path> [caption]`: reads the file, checks it is a JPEG, PNG or WebP by its bytes,
   * uploads it (the server processes it), then sends it like a text (outbox, acks, receipts).
   */
  private async sendImage(path: string, caption: string): Promise<void> {
    const problem = messageTextProblem(caption, Number.MAX_SAFE_INTEGER, { caption: true });
    if (problem) return this.tell(`not sent: the caption ${problem}`);
    let bytes: Uint8Array;
    try {
      bytes = await this.files.read(path);
    } catch {
      return this.tell(`not sent: cannot read ${sanitize(path)}`);
    }
    const format = sniffImageFormat(bytes.subarray(0, 16));
    if (!format) return this.tell('not sent: only JPEG, PNG and WebP images can be sent');
    this.tell(`uploading ${sanitize(basename(path))}…`);
    let image: MessageImage;
    try {
      image = await this.api.uploadImage(bytes, IMAGE_FORMAT_TYPES[format]);
    } catch (err) {
      const why = err instanceof ApiError ? sanitize(err.message) : 'the server is not reachable';
      return this.tell(`image not sent: ${why}`);
    }
    this.notice = undefined;
    this.send(caption, image);
  }

  /** `/save [n] [file]`: the n-th latest image of this chat (display size, WebP) into a file. */
  private async saveImage(nth: number, file: string | undefined): Promise<void> {
    const images = this.timeline
      .items(this.client.receipts)
      .flatMap((item) => (item.image ? [item.image] : []));
    const image = images[images.length - nth];
    if (!image) return this.tell(`no image ${nth} in this chat (${images.length} shown)`);
    const target = file ?? `${image.id}.webp`;
    try {
      await this.files.write(target, await this.api.image(image.id, 'display'));
      this.tell(`saved ${imageLabel(image)} to ${sanitize(target)}`);
    } catch (err) {
      const why = err instanceof ApiError ? sanitize(err.message) : 'could not write it';
      this.tell(`not saved: ${why}`);
    }
  }

  /** `/timer 5m|1h|1d|1w|<n>s|off`: disappearing messages for what is sent from now on. */
  private setTimer(seconds: number | null | 'usage'): void {
    if (seconds === 'usage' || !this.conversationId) {
      return this.tell(seconds === 'usage' ? TIMER_HELP : 'not yet: the chat is still opening');
    }
    this.client.changeGroup({ op: 'timer', seconds }, this.conversationId).then(
      () =>
        this.tell(
          seconds === null ? 'messages stay' : `messages disappear after ${describeTimer(seconds)}`,
        ),
      (err: unknown) =>
        this.tell(
          err instanceof GroupChangeError
            ? `timer refused: ${sanitize(err.message)} (${err.code})`
            : 'timer not set',
        ),
    );
  }

  private tell(notice: string): void {
    this.notice = notice;
    this.changed();
  }

  view(): ChatView {
    return {
      title:
        (this.group
          ? `${this.credentials.username} in #${this.groupView?.title ?? this.group.title}`
          : `${this.credentials.username} ↔ ${this.peer}`) +
        (this.timerSeconds === null
          ? ''
          : ` · messages disappear after ${describeTimer(this.timerSeconds)}`),
      status: this.status(),
      connection: describeConnection(this.connection),
      notice: this.notice,
      items: this.timeline.items(this.client.receipts),
    };
  }

  /** Who is typing here, else (1:1) the peer's presence. */
  private status(): string | undefined {
    if (!this.conversationId) return undefined;
    const now = new Date();
    const typists = this.client.presence.typingIn(this.conversationId, now.getTime());
    const peer = this.peerId ? this.client.presence.of(this.peerId) : undefined;
    return chatStatus(typists, peer, now);
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
        this.timerSeconds = found.timer ?? null;
        this.client.receipts.seed(found.id, found.members);
      }
      return;
    }
    try {
      const conversation = await this.api.openConversation(this.peer);
      this.timerSeconds = conversation.timer ?? null;
      this.client.receipts.seed(conversation.id, conversation.members);
      this.adoptConversation(conversation.id);
      this.watchPeer(conversation.members);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 400))
        throw new ChatError(`cannot chat with ${this.peer}: ${err.message}`);
      if (err instanceof NotLoggedInError) throw err;
      // Offline: sends go by username until an ack names the conversation.
    }
  }

  /**
   * Watches the 1:1 peer's presence (online, last seen) while the chat is open: the client sends
   * the watch now or with its next hello, and again after every reconnect. A chat with oneself
   * watches nobody.
   */
  private watchPeer(members: readonly { id: string }[]): void {
    const peer = members.find((m) => m.id !== this.credentials.userId);
    if (!peer) return;
    this.peerId = peer.id;
    this.client.watchPresence([peer.id]);
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
      if (message.event?.type === 'timer') this.timerSeconds = message.event.seconds;
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
    // Drawn again when the next disappearing message on screen expires (it vanishes then).
    this.expiry.set(this.timeline.nextExpiry());
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
