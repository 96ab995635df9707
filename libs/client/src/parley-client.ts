import {
  type AckFrame,
  type AcceptedFrame,
  type ClientFrame,
  type ConversationState,
  DEFAULT_MESSAGE_MAX_LENGTH,
  type DeliveredMessage,
  ErrorCode,
  type ErrorFrame,
  type GroupChangeRequest,
  type HelloFrame,
  type HistoryPageFrame,
  type MemberReceipt,
  type MessageImage,
  messageTextProblem,
  type ServerFrame,
  stateSummary,
  type SyncDoneFrame,
  type SyncResetFrame,
  type SyncStatesFrame,
  TYPING_MIN_INTERVAL_MS,
  type TypingServerFrame,
  type UserPresence,
} from '@parley/protocol';
import type { ConnectionEvents, ConnectionState } from './connection';
import {
  type ConversationStateStore,
  ConversationStates,
  MemoryConversationStateStore,
  sha256,
} from './conversation-states';
import { Emitter } from './emitter';
import { OutboxEntry, OutboxQueue, SendTarget, sendFrameOf } from './outbox';
import { PresenceBook } from './presence-book';
import { ReceiptBook } from './receipts';
import type { OutboxStore } from './stores';
import { type SyncRoundItem, SyncRounds } from './sync-rounds';

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
  /**
   * A member's receipt cursors moved (`receipts` holds them): the marks of own messages up to
   * `deliveredSeq` / `readSeq` in that conversation may have changed.
   */
  receipt: MemberReceipt;
  /**
   * The server's authoritative tail of a conversation replaced what this device held of it (its
   * state had diverged, or the device asked for the tail of a conversation it did not know): a
   * screen showing it should start over from these messages.
   */
  reset: { conversationId: string; messages: DeliveredMessage[] };
  /**
   * A sync converged: every conversation state of this device matches the server's (proved by
   * the digests), so it holds everything the server had for it.
   */
  synced: { messages: number; rounds: number };
  /** Watched users whose presence changed (`presence` holds them all). */
  presence: UserPresence[];
  /** Who is typing in this conversation changed (`presence.typingIn` says who, now). */
  typing: { conversationId: string };
}

/** Activity the server cannot see (opening a conversation) is reported at most this often. */
export const ACTIVITY_REPORT_MIN_INTERVAL_MS = 5_000;

/** Send errors that retrying cannot fix: the entry leaves the outbox, marked failed. */
const FINAL_SEND_ERRORS = new Set<string>([
  ErrorCode.ValidationFailed,
  ErrorCode.PayloadTooLarge,
  ErrorCode.NotFound,
  ErrorCode.Forbidden,
]);
/** How long to wait before resending after a refusal that did not say (`unavailable`). */
const DEFAULT_RETRY_MS = 1000;
/** A hole seen in live messages waits this long for the missing push before a sync is asked. */
const GAP_SYNC_DELAY_MS = 300;
/** A sync that has not converged after this many rounds stops (and is tried again later). */
const MAX_SYNC_ROUNDS = 200;
/** How long after a failed sync round (an `error` answer) the sync starts over. */
const SYNC_RETRY_MS = 2000;
/** How long after a change the conversation states are saved (writes are coalesced). */
const SAVE_DELAY_MS = 250;
/**
 * How long a due `delivered` report waits for company: within the window every message of every
 * conversation (received, synced or its own, acked) is reported at once, one frame per
 * conversation, so receipts never cost a frame (and an event) per message.
 */
export const DELIVERED_REPORT_DELAY_MS = 1000;
const SYNC_REF = 'sync';

/** Why `send` refused a message before sending it (the server would refuse it too). */
export class SendRefusedError extends Error {
  constructor(readonly problem: string) {
    super(`message ${problem}`);
    this.name = 'SendRefusedError';
  }
}

/** A group change the server refused (or could not take: `unavailable` while offline). */
export class GroupChangeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GroupChangeError';
  }
}

export interface ParleyClientOptions {
  connection: ConnectionPort;
  outbox: OutboxStore;
  /** Where the conversation states live across restarts (memory by default). */
  states?: ConversationStateStore;
  /**
   * What to fetch of a conversation the device does not hold yet: its last ten messages (`tail`;
   * older ones come with `history`) or all of it (`all`). `auto` (default): a device that holds
   * no conversation at all (new, or just logged in) takes tails; a device that holds some takes
   * all of a conversation that started while it was away, so it misses nothing.
   */
  unknownConversations?: 'auto' | 'tail' | 'all';
  /** Longest message text the server accepts (its MESSAGE_MAX_LENGTH). */
  messageMaxLength?: number;
  /**
   * Whether the gateway answers each send with `accepted` before the `ack` (default true). A UI
   * that shows no accepted state can turn it off: one frame fewer per message.
   */
  acceptedFrames?: boolean;
  /**
   * Whether the app starts in the foreground (default true): the user is online while a device
   * is in the foreground. A UI tells the client of changes with `setForeground`.
   */
  foreground?: boolean;
  /** Ids of new messages (crypto.randomUUID by default). */
  newId?: () => string;
  now?: () => Date;
}

/**
 * The Parley client: one device's connection, outbox, conversation states and sync, with
 * typed events for a UI. Runs unchanged in Node and in a browser (it reaches the network only
 * through its connection, and keeps data only through its stores).
 *
 * - **Sending**: `send` checks the text as the server would, stores the message in the outbox,
 *   then sends it. Every hello sends the whole outbox again, oldest first, with the same client
 *   message ids (the server stores each once); a refusal that waiting cures (`rate_limited`,
 *   `overloaded`, `unavailable`) sends it again, in order, after `retryAfterMs`. An entry leaves
 *   the outbox with its `ack`, with the stored message seen through sync, or with a final
 *   refusal (`send-failed`).
 * - **Receiving** (sync v2, docs/PROTOCOL.md "Sync"): on every hello the device sends the summary
 *   of the conversations it holds (one digest over their states: converged when the server's is
 *   the same) and, when it is not, the state of every one (`sync.states`, a complete round); the
 *   server answers with what is missing (`sync.messages`), `sync.reset` for what diverged, and
 *   `sync.done`. Rounds repeat, for the conversations not yet in agreement, until one converges
 *   (`synced`). The socket was opened with `sync: "v2"`, so the gateway holds live pushes until
 *   then: nothing live arrives before what the sync sends. Each stored message is emitted once
 *   (`message`).
 * - **Delivered cursor**: per conversation the highest seq held with nothing missing below
 *   (ConversationStates); a live message above a hole asks for a sync, never skips the hole.
 */
export class ParleyClient {
  readonly events = new Emitter<ParleyClientEvents>();
  /**
   * The other members' receipt cursors: seed it from the conversation list (`seed`), and it
   * follows `receipt` frames; `mark` says whether an own message is sent, delivered or read.
   */
  readonly receipts = new ReceiptBook();
  /** Watched users' presence and who is typing where (see `watchPresence`, `typing`). */
  readonly presence = new PresenceBook();
  private readonly connection: ConnectionPort;
  private foreground: boolean;
  /** Users whose presence this device watches (sent again on every hello). */
  private watched: readonly string[] = [];
  /** The first hello of this client (the app was opened) counts as activity; reconnects do not. */
  private greeted = false;
  private lastActivityAt = Number.NEGATIVE_INFINITY;
  /** When this device last signalled typing, per conversation (epoch ms). */
  private readonly typingSentAt = new Map<string, number>();
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly outbox: OutboxQueue;
  private readonly states = new ConversationStates();
  private readonly stateStore: ConversationStateStore;
  private readonly unknownOption: 'auto' | 'tail' | 'all';
  /** What this sync fetches of unknown conversations (see `unknownConversations`). */
  private unknownPolicy: 'tail' | 'all' = 'tail';
  private readonly maxLength: number;
  private readonly acceptedFrames: boolean;
  private readonly newId: () => string;
  private readonly now: () => Date;
  /** Who this device is (from hello): its own acked messages are held like any other. */
  private me?: { userId: string; username: string };
  private syncing = false;
  /** Another complete round is due when the current one ends (`sync.required` meanwhile). */
  private syncAgain = false;
  private loading?: Promise<void>;
  private syncedMessages = 0;
  /** The rounds of the sync in flight (what each next round names). */
  private readonly rounds = new SyncRounds(SYNC_REF, (states) => stateSummary(states, sha256));
  private resendTimer: ReturnType<typeof setTimeout> | undefined;
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  private syncRetryTimer: ReturnType<typeof setTimeout> | undefined;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private deliveredTimer: ReturnType<typeof setTimeout> | undefined;
  private saving: Promise<void> = Promise.resolve();
  private readonly unsubscribe: (() => void)[] = [];
  /** Group changes waiting for their `ack` (or `error`), by clientMsgId. */
  private readonly pendingChanges = new Map<
    string,
    { resolve: (ack: AckFrame) => void; reject: (err: GroupChangeError) => void }
  >();

  constructor(options: ParleyClientOptions) {
    this.connection = options.connection;
    this.outbox = new OutboxQueue(options.outbox);
    this.stateStore = options.states ?? new MemoryConversationStateStore();
    this.unknownOption = options.unknownConversations ?? 'auto';
    this.maxLength = options.messageMaxLength ?? DEFAULT_MESSAGE_MAX_LENGTH;
    this.acceptedFrames = options.acceptedFrames ?? true;
    this.foreground = options.foreground ?? true;
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

  /** The conversations this device holds, with their states (what a sync round sends). */
  conversationStates(): ConversationState[] {
    return this.states.conversationIds().map((id) => this.states.state(id));
  }

  /**
   * Loads the outbox and the conversation states left from before (a page opened offline shows
   * the outbox, and `send` adds to it, before there is any connection). Idempotent.
   */
  load(): Promise<void> {
    this.loading ??= Promise.all([
      this.outbox.load(),
      this.stateStore.load().then((stored) => this.states.restore(stored)),
    ]).then(() => undefined);
    return this.loading;
  }

  /** Writes the conversation states now (pending changes), e.g. before the process exits. */
  async flush(): Promise<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.save();
    await this.saving;
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
    // Reports due now stay due (the network is likely gone): they go after the next hello.
    clearTimeout(this.deliveredTimer);
    this.deliveredTimer = undefined;
    this.connection.stop(reason);
  }

  /** Connect again (back online, or "use here" after another window took over). */
  resume(): void {
    this.connection.start();
  }

  stop(reason?: string): void {
    clearTimeout(this.resendTimer);
    clearTimeout(this.gapTimer);
    clearTimeout(this.syncRetryTimer);
    clearTimeout(this.typingTimer);
    this.sendDeliveredReports();
    void this.flush();
    for (const off of this.unsubscribe.splice(0)) off();
    this.connection.stop(reason);
  }

  /**
   * Sends a message: checked as the server would check it (throws SendRefusedError: nothing is
   * stored or sent), stored in the outbox, then sent if online (else on the next hello). With
   * `image` (from `ApiClient.uploadImage`) the text is its caption and may be empty.
   */
  send(target: SendTarget, text: string, options: { image?: MessageImage } = {}): OutboxEntry {
    const problem = messageTextProblem(text, this.maxLength, {
      caption: options.image !== undefined,
    });
    if (problem) throw new SendRefusedError(problem);
    const entry: OutboxEntry = {
      clientMsgId: this.newId(),
      ...('conversationId' in target
        ? { conversationId: target.conversationId }
        : { to: target.to }),
      text,
      ...(options.image ? { image: options.image } : {}),
      createdAt: this.now().toISOString(),
      state: 'pending',
    };
    void this.outbox.add(entry);
    this.connection.send(sendFrameOf(entry, this.acceptedFrames));
    return entry;
  }

  /**
   * Creates a group (`create`) or a channel (`create-channel`), both without `conversationId`, or
   * changes one: resolves with the `ack` of the membership event once storage applied it (the
   * event itself arrives as a `message`; a channel's silent join, leave, add or remove is acked
   * at the channel's last seq, and a join is followed by a sync that brings the channel),
   * rejects with GroupChangeError when refused (`forbidden`, `validation_failed`, `not_found`
   * for an unknown username) or when the device is offline or goes offline before the answer
   * (`unavailable`: nothing may have changed; ask again). Not kept in the outbox: a change is
   * made while connected, where its answer can be shown.
   */
  changeGroup(change: GroupChangeRequest, conversationId?: string): Promise<AckFrame> {
    const clientMsgId = this.newId();
    return new Promise<AckFrame>((resolve, reject) => {
      this.pendingChanges.set(clientMsgId, {
        resolve: (ack) => {
          // Joining a channel stores no event: a sync brings the channel and its history.
          if (change.op === 'join') this.syncSoon();
          resolve(ack);
        },
        reject,
      });
      const sent = this.connection.send({
        type: 'group',
        clientMsgId,
        ...(conversationId !== undefined ? { conversationId } : {}),
        change,
      });
      if (!sent) {
        this.pendingChanges.delete(clientMsgId);
        reject(new GroupChangeError('unavailable', 'Not connected'));
      }
    });
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

  /**
   * The app moved to the foreground or the background (a page's visibility, a terminal's focus):
   * the user is online while a device is in the foreground. Coming to the foreground is user
   * activity (last seen moves); going to the background is not.
   */
  setForeground(foreground: boolean): void {
    if (this.foreground === foreground) return;
    this.foreground = foreground;
    this.connection.send(
      foreground
        ? { type: 'presence.state', state: 'foreground', active: true }
        : { type: 'presence.state', state: 'background' },
    );
  }

  /**
   * Watch these users' presence (replaces the list; at most PRESENCE_WATCH_MAX): the server
   * answers with their presence as this user may see it, then pushes changes (`presence`
   * events). Sent again after every reconnect.
   */
  watchPresence(userIds: readonly string[]): void {
    const unique = [...new Set(userIds)];
    if (unique.length === this.watched.length && unique.every((id, i) => id === this.watched[i])) {
      return;
    }
    this.watched = unique;
    this.connection.send({ type: 'presence.watch', userIds: [...unique] });
  }

  /**
   * The user is typing in a conversation: call on every keystroke; the signal goes at most every
   * TYPING_MIN_INTERVAL_MS per conversation. False when nothing was sent.
   */
  typing(conversationId: string): boolean {
    const now = this.now().getTime();
    if (
      now - (this.typingSentAt.get(conversationId) ?? Number.NEGATIVE_INFINITY) <
      TYPING_MIN_INTERVAL_MS
    ) {
      return false;
    }
    if (!this.connection.send({ type: 'typing', conversationId })) return false;
    this.typingSentAt.set(conversationId, now);
    return true;
  }

  /**
   * The user did something the server does not see (opened a conversation): moves their last
   * seen. Reported at most every ACTIVITY_REPORT_MIN_INTERVAL_MS.
   */
  noteActivity(): void {
    const now = this.now().getTime();
    if (now - this.lastActivityAt < ACTIVITY_REPORT_MIN_INTERVAL_MS) return;
    if (this.connection.send({ type: 'presence.activity' })) this.lastActivityAt = now;
  }

  private onState(state: ConnectionState): void {
    if (state.kind !== 'online') {
      for (const pending of this.pendingChanges.values()) {
        pending.reject(new GroupChangeError('unavailable', 'Disconnected before the answer'));
      }
      this.pendingChanges.clear();
      this.syncing = false;
      this.syncAgain = false;
      clearTimeout(this.syncRetryTimer);
    }
    this.events.emit('state', state);
  }

  private onHello(hello: HelloFrame): void {
    this.me = { userId: hello.userId, username: hello.username };
    this.events.emit('hello', hello);
    this.restatePresence();
    this.startSync();
    this.flushOutbox();
    // Reports that were due when the last socket went down.
    this.reportDelivered();
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'accepted':
        void this.outbox.accepted(frame.clientMsgId, frame.conversationId);
        this.events.emit('accepted', frame);
        return;
      case 'ack': {
        const change = this.pendingChanges.get(frame.clientMsgId);
        if (change) {
          this.pendingChanges.delete(frame.clientMsgId);
          change.resolve(frame);
          return;
        }
        this.holdOwn(frame);
        void this.outbox.remove(frame.clientMsgId);
        this.events.emit('ack', frame);
        return;
      }
      case 'message':
        this.take([frame.message], 'live');
        this.reportDelivered();
        if (this.states.hasHoles && !this.syncing) this.scheduleGapSync();
        return;
      case 'sync.messages':
        if (!this.syncing) return;
        this.syncedMessages += this.take(frame.messages, 'sync');
        for (const m of frame.messages) this.rounds.touch(m.conversationId);
        this.reportDelivered();
        return;
      case 'sync.reset':
        if (this.syncing) this.onReset(frame);
        return;
      case 'sync.done':
        if (this.syncing) this.onRoundDone(frame);
        return;
      case 'sync.required':
        if (this.syncing) this.syncAgain = true;
        else this.startSync();
        return;
      case 'history.page':
        this.events.emit('history', frame);
        return;
      case 'receipt': {
        const { type: _type, ...receipt } = frame;
        if (this.receipts.apply(receipt)) this.events.emit('receipt', receipt);
        return;
      }
      case 'presence': {
        const changed = this.presence.apply(frame.users);
        if (changed.length > 0) this.events.emit('presence', changed);
        return;
      }
      case 'typing':
        this.onTyping(frame);
        return;
      case 'error':
        this.onError(frame);
        return;
      default:
        return;
    }
  }

  /**
   * A new socket starts in the background with nothing watched: tell it this device's state and
   * watch list. Only the first hello (the app was opened) is the user's doing (`active`); a
   * reconnect is the app's.
   */
  private restatePresence(): void {
    if (this.foreground) {
      const opened = !this.greeted;
      this.connection.send({
        type: 'presence.state',
        state: 'foreground',
        ...(opened ? { active: true } : {}),
      });
      if (opened) this.lastActivityAt = this.now().getTime();
    }
    this.greeted = true;
    if (this.watched.length > 0) {
      this.connection.send({ type: 'presence.watch', userIds: [...this.watched] });
    }
  }

  private onTyping(frame: TypingServerFrame): void {
    if (frame.userId === this.me?.userId) return;
    if (!this.presence.typingStarted(frame, this.now().getTime())) return;
    this.events.emit('typing', { conversationId: frame.conversationId });
    this.scheduleTypingExpiry();
  }

  /** Wakes when the next typing signal expires, so screens stop showing it. */
  private scheduleTypingExpiry(): void {
    clearTimeout(this.typingTimer);
    const next = this.presence.nextExpiry();
    if (next === undefined) return;
    this.typingTimer = setTimeout(
      () => {
        for (const conversationId of this.presence.expire(this.now().getTime())) {
          this.events.emit('typing', { conversationId });
        }
        this.scheduleTypingExpiry();
      },
      Math.max(0, next - this.now().getTime()) + 1,
    );
  }

  /** A sync round now, or right after the one running. */
  private syncSoon(): void {
    if (!this.connection.isOnline) return;
    if (this.syncing) this.syncAgain = true;
    else this.startSync();
  }

  /** A new sync: the summary of every state this device holds, or the states themselves. */
  private startSync(): void {
    clearTimeout(this.gapTimer);
    clearTimeout(this.syncRetryTimer);
    this.syncing = true;
    this.syncAgain = false;
    this.syncedMessages = 0;
    const states = this.conversationStates();
    this.unknownPolicy =
      this.unknownOption === 'auto' ? (states.length === 0 ? 'tail' : 'all') : this.unknownOption;
    this.sendFrames(this.rounds.start(states));
  }

  /**
   * A round's frames, in order; one the socket does not take ends the sync (the next hello starts
   * one).
   */
  private sendFrames(frames: readonly SyncStatesFrame[]): void {
    for (const frame of frames) {
      if (!this.connection.send(frame)) {
        this.syncing = false;
        return;
      }
    }
  }

  /** The server's tail replaces what this device held of the conversation. */
  private onReset(frame: SyncResetFrame): void {
    const before = this.states.lastSeq(frame.conversationId);
    this.states.reset(frame.conversationId, frame.lastSeq, frame.messages, frame.fromSeq);
    for (const m of frame.messages) {
      if (this.outbox.has(m.clientMsgId)) void this.outbox.remove(m.clientMsgId);
    }
    this.rounds.touch(frame.conversationId);
    this.syncedMessages += frame.messages.filter((m) => m.seq > before).length;
    this.events.emit('reset', { conversationId: frame.conversationId, messages: frame.messages });
    this.reportDelivered();
    this.scheduleSave();
  }

  /**
   * The end of a round. Converged: synced. Otherwise the next round names the conversations still
   * to settle: those behind or reset, those that received messages, and the unknown ones (a tail
   * request, or a state from nothing). Gone conversations are dropped.
   */
  private onRoundDone(done: SyncDoneFrame): void {
    for (const id of done.gone) this.states.drop(id);
    this.scheduleSave();
    if (done.converged) {
      this.syncing = false;
      this.events.emit('synced', { messages: this.syncedMessages, rounds: this.rounds.rounds });
      if (this.syncAgain) this.startSync();
      else if (this.states.hasHoles) this.scheduleGapSync();
      return;
    }
    if (this.syncAgain) {
      this.startSync();
      return;
    }
    if (this.rounds.rounds >= MAX_SYNC_ROUNDS) {
      this.syncing = false;
      this.retrySyncLater();
      return;
    }
    this.sendFrames(
      this.rounds.next(done, {
        // After a summary that did not match: every state, as a complete round.
        held: () => this.conversationStates(),
        item: (id) => this.stateOrTail(id),
        unknown: (unknown) => {
          if (this.unknownPolicy === 'tail')
            return { conversationId: unknown.conversationId, tail: true };
          // From nothing: from the first seq the user may read (a group may show it from joining).
          if (unknown.fromSeq !== undefined)
            this.states.startAt(unknown.conversationId, unknown.fromSeq);
          return this.states.state(unknown.conversationId);
        },
      }),
    );
  }

  /** The state of a conversation; a tail request for one it asked the tail of and still lacks. */
  private stateOrTail(conversationId: string): SyncRoundItem {
    if (this.unknownPolicy === 'tail' && !this.states.has(conversationId)) {
      return { conversationId, tail: true };
    }
    return this.states.state(conversationId);
  }

  /**
   * An own message is stored: the device holds it (the server pushes it to the user's other
   * devices, not back to this one), so its state moves on without waiting for a sync.
   */
  private holdOwn(ack: AckFrame): void {
    const entry = this.outbox.get(ack.clientMsgId);
    if (!entry || !this.me) return;
    if (
      this.states.observe({
        conversationId: ack.conversationId,
        seq: ack.seq,
        senderId: this.me.userId,
        senderUsername: this.me.username,
        clientMsgId: ack.clientMsgId,
        text: entry.text,
        serverTime: ack.serverTime,
        ...(entry.image ? { image: entry.image } : {}),
        ...(ack.expiresAt ? { expiresAt: ack.expiresAt } : {}),
      })
    ) {
      this.reportDelivered();
      this.scheduleSave();
    }
  }

  /** Stored messages from a push or a sync page: hold, prune the outbox, emit the new ones. */
  private take(messages: readonly DeliveredMessage[], source: 'live' | 'sync'): number {
    let fresh = 0;
    for (const message of messages) {
      if (this.outbox.has(message.clientMsgId)) void this.outbox.remove(message.clientMsgId);
      if (!this.states.observe(message)) continue;
      fresh++;
      this.events.emit('message', { message, source });
      if (this.presence.typingStopped(message.conversationId, message.senderId)) {
        this.events.emit('typing', { conversationId: message.conversationId });
        // The wake-up follows the next signal still showing, or goes when none is left.
        this.scheduleTypingExpiry();
      }
    }
    if (fresh > 0) this.scheduleSave();
    return fresh;
  }

  /** A report is due: it goes with everything else due within DELIVERED_REPORT_DELAY_MS. */
  private reportDelivered(): void {
    if (this.deliveredTimer) return;
    this.deliveredTimer = setTimeout(() => this.sendDeliveredReports(), DELIVERED_REPORT_DELAY_MS);
  }

  /** Sends the due reports now (while offline they stay due, for after the next hello). */
  private sendDeliveredReports(): void {
    clearTimeout(this.deliveredTimer);
    this.deliveredTimer = undefined;
    if (!this.connection.isOnline) return;
    for (const report of this.states.takeReports()) {
      this.connection.send({ type: 'delivered', ...report });
    }
  }

  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, SAVE_DELAY_MS);
  }

  /** One write at a time, each of the latest snapshot. */
  private save(): void {
    if (!this.states.takeDirty()) return;
    const snapshot = this.states.snapshot();
    this.saving = this.saving
      .then(() => this.stateStore.save(snapshot))
      .catch(() => {
        // A failed write leaves the last good snapshot; the next change writes again.
      });
  }

  private retrySyncLater(): void {
    clearTimeout(this.syncRetryTimer);
    this.syncRetryTimer = setTimeout(() => {
      this.syncRetryTimer = undefined;
      if (this.connection.isOnline && !this.syncing) this.startSync();
    }, SYNC_RETRY_MS);
  }

  private onError(frame: ErrorFrame): void {
    if (frame.ref === SYNC_REF && this.syncing) {
      // The round failed (the database unavailable, a refused frame): start over a little later.
      this.syncing = false;
      this.retrySyncLater();
    }
    const clientMsgId = frame.clientMsgId;
    const change = clientMsgId !== undefined ? this.pendingChanges.get(clientMsgId) : undefined;
    if (clientMsgId !== undefined && change) {
      this.pendingChanges.delete(clientMsgId);
      change.reject(new GroupChangeError(frame.code, frame.message));
      return;
    }
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
    for (const entry of this.outbox.toFlush())
      this.connection.send(sendFrameOf(entry, this.acceptedFrames));
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
      if (this.states.hasHoles && !this.syncing && this.connection.isOnline) this.startSync();
    }, GAP_SYNC_DELAY_MS);
  }
}
