import {
  type ApiClient,
  applyConversationEvent,
  type ConnectionState,
  ExpiryAlarm,
  ParleyClient,
  presenceLine,
  SendRefusedError,
  Timeline,
  type TimelineItem,
  typingLine,
} from '@parley/client';
import {
  type ChannelsAnswer,
  type ConversationView,
  type DeliveredMessage,
  type GroupChangeRequest,
  type HistoryVisibility,
  IMAGE_FORMAT_TYPES,
  IMAGE_SERVED_TYPE,
  type ImageVariant,
  type MessageImage,
  type MessageReceiptsAnswer,
  sniffImageFormat,
  PRESENCE_WATCH_MAX,
  type PresenceVisibility,
  type SettingsBody,
  type UserSummary,
} from '@parley/protocol';
import { isChannel } from './conversation-roles';
import { idbGet, idbUpdate } from './storage/idb';
import type { LastUser } from './storage/local';
import { channelQuery } from './text/channels';
import { seenAt } from './text/presence';
import { describeInfoError, describeSearchError, describeSettingsError } from './text/problems';

const HISTORY_PAGE = 30;

/** The HTTP calls the chat screens make (the ApiClient's, narrowed). */
export type ChatApi = Pick<
  ApiClient,
  | 'conversations'
  | 'users'
  | 'openConversation'
  | 'messageReceipts'
  | 'channels'
  | 'settings'
  | 'changeSettings'
  | 'uploadImage'
  | 'image'
>;

/** One's own settings as the settings panel shows them. */
export interface SettingsState {
  /** Absent until the server answered. */
  readReceipts?: boolean;
  /** Who sees this user's online state and last seen; absent until the server answered. */
  presence?: PresenceVisibility;
  saving: boolean;
  problem?: string;
}

/** A public channel as the channel search lists it. */
export type ChannelListing = ChannelsAnswer['channels'][number];

/** The channel search: what was asked, the server's answer, or why there is none. */
export interface ChannelSearch {
  query: string;
  /** The last answer (kept on screen while the next one is asked). */
  results?: ChannelListing[];
  searching: boolean;
  problem?: string;
}

/** Who has received and read one own message of the open conversation ("Info"). */
export interface MessageInfo {
  seq: number;
  text: string;
  /** The server's answer; absent while it is asked. */
  answer?: MessageReceiptsAnswer;
  problem?: string;
}

/** An image upload under way in the open conversation: bytes sent of its total. */
export interface UploadState {
  /** The file's name, when it has one (a pasted image may not). */
  name?: string;
  sent: number;
  /** The file's size; once `sent` reaches it the server is processing the image. */
  total: number;
}

/** What the screens show, derived from the client library's events. */
export interface ChatSnapshot {
  me: LastUser;
  connection: ConnectionState;
  /** Newest activity first. */
  conversations: ConversationView[];
  openId?: string;
  /** The open conversation's messages, oldest first. */
  items: TimelineItem[];
  /** Older messages exist above the open conversation's first one. */
  hasOlder: boolean;
  /** A problem worth a line (refused text, server notices). */
  notice?: string;
  /** The image being uploaded to the open conversation, until it is sent or refused. */
  upload?: UploadState;
  searchResults?: UserSummary[];
  /** The open conversation's message whose receipts are shown, if any. */
  messageInfo?: MessageInfo;
  /** Absent until channels are first searched. */
  channelSearch?: ChannelSearch;
  /** Absent until the settings are first asked for. */
  settings?: SettingsState;
  /** The 1:1 conversations whose other member is online now (a dot in the list). */
  online: ReadonlySet<string>;
  /**
   * The open conversation's line under its name: who is typing, else (1:1) `online` or `last
   * seen …`. Absent when there is nothing to say (hidden, never seen, a group nobody types in).
   */
  status?: string;
}

/**
 * The web client's state: one ParleyClient (connection, outbox, sync, delivered cursor), the
 * conversation list, and one Timeline per conversation, joined into snapshots the components
 * render. Components never touch the network; they call the methods here.
 */
export class ChatStore {
  private readonly listeners = new Set<() => void>();
  private readonly timelines = new Map<string, Timeline>();
  private readonly hasOlder = new Map<string, boolean>();
  private readonly historyAsked = new Set<string>();
  private conversations: ConversationView[] = [];
  private connection: ConnectionState = { kind: 'connecting', attempt: 0 };
  private openId?: string;
  private notice?: string;
  /** The newest image upload (older ones still going no longer show), and where it goes. */
  private upload?: UploadState & { conversationId: string };
  /** Uploads begun: only the newest one's progress shows. */
  private uploadsBegun = 0;
  private searchResults?: UserSummary[];
  private messageInfo?: MessageInfo;
  private channelSearch?: ChannelSearch;
  private settings?: SettingsState;
  /** Channel searches begun: only the newest one's answer is shown. */
  private channelsAsked = 0;
  private infoTimer?: ReturnType<typeof setTimeout>;
  private readSent = new Map<string, number>();
  private refreshTimer?: ReturnType<typeof setTimeout>;
  private persistTimer?: ReturnType<typeof setTimeout>;
  private persisted: ConversationView[] = [];
  /** List reads begun, and the newest one shown: an older answer never overwrites a newer one. */
  private listAsked = 0;
  private listShown = 0;
  /** Conversations opened here, with the list reads begun by then (see refreshConversations). */
  private readonly openedAt = new Map<string, number>();
  private readonly expiry = new ExpiryAlarm(() => this.changed());
  /** Object URLs of the image versions fetched here, by `<id>/<variant>` (revoked on stop). */
  private readonly imageUrls = new Map<string, Promise<string>>();
  /** The list and open conversation the presence watch was last worked out for. */
  private watchedFor?: { conversations: ConversationView[]; openId?: string };
  snapshot: ChatSnapshot;

  constructor(
    readonly me: LastUser,
    private readonly api: ChatApi,
    readonly client: ParleyClient,
  ) {
    this.snapshot = this.build();
    const { events } = client;
    events.on('state', (state) => {
      this.connection = state;
      this.changed();
    });
    events.on('hello', () => {
      this.historyAsked.clear();
      void this.refreshConversations();
      if (this.openId) this.askHistory(this.openId);
    });
    events.on('message', ({ message }) => this.take(message));
    events.on('reset', ({ conversationId, messages }) => {
      this.timeline(conversationId).resetStored(conversationId, messages);
      const newest = messages.at(-1);
      if (newest) this.bump(newest);
      this.changed();
    });
    events.on('history', (page) => {
      const timeline = this.timeline(page.conversationId);
      for (const message of page.messages) timeline.addStored(message);
      const oldest = page.messages[0]?.seq;
      if (oldest === undefined || oldest <= 1) this.hasOlder.set(page.conversationId, false);
      else this.hasOlder.set(page.conversationId, page.hasMore);
      this.markRead();
      this.changed();
    });
    events.on('accepted', () => this.changed());
    events.on('receipt', (receipt) => {
      if (receipt.conversationId !== this.openId) return;
      // The receipts shown are the server's times: ask again once the cursors settled.
      if (this.messageInfo) this.scheduleInfoRefresh();
      this.changed();
    });
    events.on('ack', (ack) => {
      const timeline = this.timeline(ack.conversationId);
      const sent = timeline.items().find((i) => i.clientMsgId === ack.clientMsgId && i.own);
      timeline.ack(ack);
      // Own messages are not pushed back to this device: the ack moves the list.
      if (sent) {
        this.bump({
          conversationId: ack.conversationId,
          seq: ack.seq,
          senderId: this.me.userId,
          senderUsername: this.me.username,
          clientMsgId: ack.clientMsgId,
          text: sent.text,
          serverTime: ack.serverTime,
        });
      }
      this.changed();
    });
    events.on('send-failed', (failure) => {
      let failedHere = false;
      for (const [id, timeline] of this.timelines) {
        if (timeline.fail(failure.clientMsgId, failure.message) && id === this.openId)
          failedHere = true;
      }
      if (failedHere) this.notice = `Not sent: ${failure.message}`;
      this.changed();
    });
    events.on('notice', (frame) => {
      this.notice = frame.message;
      this.changed();
    });
    events.on('presence', () => this.changed());
    events.on('typing', ({ conversationId }) => {
      if (conversationId === this.openId) this.changed();
    });
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Shows what is known locally (cached list, unsent messages), then connects if `online`. */
  async start(online: boolean): Promise<void> {
    const cached = await idbGet('cache', this.cacheKey).catch(() => undefined);
    if (Array.isArray(cached) && this.conversations.length === 0) {
      this.conversations = cached as ConversationView[];
    }
    await this.client.load();
    this.showPending();
    this.changed();
    if (online) await this.client.start();
  }

  stop(): void {
    clearTimeout(this.refreshTimer);
    clearTimeout(this.infoTimer);
    this.expiry.clear();
    this.client.stop();
    for (const url of this.imageUrls.values()) void url.then((u) => URL.revokeObjectURL(u));
    this.imageUrls.clear();
  }

  /**
   * Sends a picked, pasted or dropped file as an image in the open conversation, `caption` with
   * it: checked to be a JPEG, PNG or WebP by its bytes, uploaded (the server processes it), then
   * sent like a text. While it uploads, the snapshot's `upload` says how far it got (in that
   * conversation); it ends when the image is sent or refused. False (with a notice) when it was
   * not.
   */
  async sendImage(file: Blob, caption: string): Promise<boolean> {
    const id = this.openId;
    if (!id) return false;
    const bytes = new Uint8Array(await file.arrayBuffer());
    const format = sniffImageFormat(bytes.subarray(0, 16));
    if (!format) return this.refuse('Not sent: only JPEG, PNG and WebP images can be sent');
    const name = 'name' in file && typeof file.name === 'string' ? file.name : undefined;
    const begun = ++this.uploadsBegun;
    let done = false;
    const progress = (sent: number, total: number) => {
      // A newer upload has the line; a late event of a finished one must not bring it back.
      const shown = this.upload;
      if (done || begun !== this.uploadsBegun) return;
      if (shown?.sent === sent && shown.total === total) return;
      this.upload = { conversationId: id, name, sent, total };
      this.changed();
    };
    const finish = () => {
      done = true;
      if (begun === this.uploadsBegun) this.upload = undefined;
    };
    this.notice = undefined;
    progress(0, bytes.byteLength);
    let image: MessageImage;
    try {
      image = await this.api.uploadImage(bytes, IMAGE_FORMAT_TYPES[format], {
        onProgress: progress,
      });
    } catch (err) {
      finish();
      return this.refuse(`Not sent: ${err instanceof Error ? err.message : 'the upload failed'}`);
    }
    finish();
    try {
      const entry = this.client.send({ conversationId: id }, caption, { image });
      this.timeline(id).addPending(entry);
      this.notice = undefined;
      this.changed();
      return true;
    } catch (err) {
      if (!(err instanceof SendRefusedError)) throw err;
      return this.refuse(`Not sent: the ${err.message}`);
    }
  }

  /** An object URL of an image's version (fetched once with the session's token). */
  imageUrl(imageId: string, variant: ImageVariant): Promise<string> {
    const key = `${imageId}/${variant}`;
    let url = this.imageUrls.get(key);
    if (!url) {
      url = this.api
        .image(imageId, variant)
        .then((bytes) =>
          URL.createObjectURL(
            new Blob([bytes as Uint8Array<ArrayBuffer>], { type: IMAGE_SERVED_TYPE }),
          ),
        );
      // A failed fetch is tried again next time.
      url.catch(() => this.imageUrls.delete(key));
      this.imageUrls.set(key, url);
    }
    return url;
  }

  /** The upload under way in conversation `id`, as the snapshot shows it. */
  private uploadShown(id: string | undefined): UploadState | undefined {
    const upload = this.upload;
    if (!upload || upload.conversationId !== id) return undefined;
    return { name: upload.name, sent: upload.sent, total: upload.total };
  }

  private refuse(notice: string): false {
    this.notice = notice;
    this.changed();
    return false;
  }

  open(conversationId: string | undefined): void {
    this.openId = conversationId;
    this.notice = undefined;
    this.messageInfo = undefined;
    if (conversationId) {
      this.client.noteActivity();
      this.showPending();
      this.askHistory(conversationId);
      this.markRead();
    }
    this.changed();
  }

  /** The open conversation's older page (scrolling up). */
  loadOlder(): void {
    const id = this.openId;
    if (!id || this.hasOlder.get(id) === false) return;
    const oldest = this.timeline(id)
      .items()
      .find((i) => i.seq !== undefined)?.seq;
    if (oldest === undefined || oldest <= 1) return;
    this.client.history(id, HISTORY_PAGE, oldest);
  }

  send(text: string): boolean {
    const id = this.openId;
    if (!id) return false;
    try {
      const entry = this.client.send({ conversationId: id }, text);
      this.timeline(id).addPending(entry);
      this.notice = undefined;
      this.changed();
      return true;
    } catch (err) {
      if (!(err instanceof SendRefusedError)) throw err;
      this.notice = `Not sent: the ${err.message}`;
      this.changed();
      return false;
    }
  }

  /**
   * The user typed in the open conversation's composer: its other members see it for a few
   * seconds (the client library sends it at most every few seconds). Not in channels.
   */
  typing(): void {
    const open = this.conversations.find((c) => c.id === this.openId);
    if (open && open.active && !isChannel(open)) this.client.typing(open.id);
  }

  async search(prefix: string): Promise<void> {
    const trimmed = prefix.trim();
    if (!/^[A-Za-z0-9_]{1,32}$/.test(trimmed)) {
      this.searchResults = trimmed ? [] : undefined;
      this.changed();
      return;
    }
    try {
      this.searchResults = (await this.api.users(trimmed)).filter((u) => u.id !== this.me.userId);
    } catch {
      this.notice = 'Search needs a connection';
    }
    this.changed();
  }

  /** Find or create the 1:1 conversation with `username`, and open it. */
  async startChatWith(username: string): Promise<void> {
    const conversation = await this.api.openConversation(username);
    this.client.receipts.seed(conversation.id, conversation.members);
    this.openedAt.set(conversation.id, this.listAsked);
    if (!this.conversations.some((c) => c.id === conversation.id)) {
      this.conversations = [conversation, ...this.conversations];
    }
    this.searchResults = undefined;
    this.open(conversation.id);
  }

  /**
   * Creates a group with the named members (usernames; the creator is its first admin) and opens
   * it once the server applied it. Rejects with GroupChangeError when refused.
   */
  async createGroup(name: string, members: string[], history: HistoryVisibility): Promise<void> {
    const ack = await this.client.changeGroup({
      op: 'create',
      name,
      members,
      ...(history === 'all' ? { history } : {}),
    });
    await this.refreshConversations();
    this.open(ack.conversationId);
  }

  /**
   * Changes the open group or channel (add, remove, promote, demote, rename, history, leave):
   * resolves once the server applied it (a group's event arrives as a message and moves the
   * list; a channel's join, leave, add and remove store no event, so its list entry is read
   * again), rejects with GroupChangeError when refused.
   */
  async changeGroup(change: GroupChangeRequest): Promise<void> {
    const id = this.openId;
    if (!id) throw new Error('No conversation is open');
    await this.client.changeGroup(change, id);
    const open = this.conversations.find((c) => c.id === id);
    if (open && isChannel(open)) await this.refreshConversations();
  }

  /**
   * Public channels whose name contains `text` (all of them when empty), the most members first.
   * Only the newest search's answer is shown.
   */
  async searchChannels(text: string): Promise<void> {
    const query = text.trim();
    const asked = channelQuery(text);
    const ask = ++this.channelsAsked;
    const results = this.channelSearch?.results;
    if ('problem' in asked) {
      this.channelSearch = { query, results, searching: false, problem: asked.problem };
      this.changed();
      return;
    }
    this.channelSearch = { query, results, searching: true };
    this.changed();
    try {
      const found = await this.api.channels(asked.q);
      if (ask !== this.channelsAsked) return;
      this.channelSearch = { query, results: found, searching: false };
    } catch (err) {
      if (ask !== this.channelsAsked) return;
      this.channelSearch = { query, results, searching: false, problem: describeSearchError(err) };
    }
    this.changed();
  }

  /**
   * Joins public channel `id` and opens it once the list has it. A join stores no event: after
   * its ack (the client library syncs, which brings the channel's messages) the list is read
   * again. False when the list does not show the channel (one nothing was posted to yet).
   * Rejects with GroupChangeError when refused.
   */
  async joinChannel(id: string): Promise<boolean> {
    await this.client.changeGroup({ op: 'join' }, id);
    const search = this.channelSearch;
    if (search?.results) {
      const results = search.results.map((c) =>
        c.id === id && !c.joined ? { ...c, joined: true, memberCount: c.memberCount + 1 } : c,
      );
      this.channelSearch = { ...search, results };
    }
    await this.refreshConversations();
    return this.openChannel(id);
  }

  /** Opens a channel this user is in; false when the list does not show it (nothing posted yet). */
  openChannel(id: string): boolean {
    if (!this.conversations.some((c) => c.id === id)) return false;
    this.open(id);
    return true;
  }

  /**
   * Creates a broadcast channel (public: listed in the channel search, anyone may join) whose
   * only member and admin is this user, and opens it once the server made it. Rejects with
   * GroupChangeError when refused.
   */
  async createChannel(name: string, isPublic: boolean): Promise<void> {
    const ack = await this.client.changeGroup({ op: 'create-channel', name, public: isPublic });
    await this.refreshConversations();
    this.open(ack.conversationId);
  }

  /** Reads the list again now: who joins or leaves a channel stores no event (its member count). */
  refresh(): void {
    void this.refreshConversations();
  }

  /** Asks for one's settings (the settings panel opened). */
  async loadSettings(): Promise<void> {
    try {
      const { readReceipts, presence } = await this.api.settings();
      this.settings = { readReceipts, presence, saving: false };
    } catch (err) {
      this.settings = { ...this.settings, saving: false, problem: describeSettingsError(err) };
    }
    this.changed();
  }

  /**
   * Turns read receipts on or off. Off, others see only delivered from this user and this user
   * sees nobody's read state: the read cursors held here are dropped and the list, which now
   * shows them as the server does, seeds them again.
   */
  setReadReceipts(on: boolean): Promise<void> {
    return this.saveSettings({ readReceipts: on }, async () => {
      this.client.receipts.clear();
      await this.refreshConversations();
    });
  }

  /**
   * Chooses who sees this user's online state and last seen. What this user sees of others
   * follows by itself (the choice is reciprocal): the server pushes the watched users whose
   * visibility flipped to every open watch.
   */
  setPresence(choice: PresenceVisibility): Promise<void> {
    return this.saveSettings({ presence: choice });
  }

  /**
   * Shows the change at once (saving), stores it, then shows what the server stored; a refusal
   * puts back what was shown before, with the problem in words.
   */
  private async saveSettings(
    change: SettingsBody,
    afterwards: () => Promise<void> = () => Promise.resolve(),
  ): Promise<void> {
    const before = this.settings;
    this.settings = { ...before, ...change, saving: true, problem: undefined };
    this.changed();
    try {
      const { readReceipts, presence } = await this.api.changeSettings(change);
      this.settings = { readReceipts, presence, saving: false };
      await afterwards();
    } catch (err) {
      this.settings = { ...before, saving: false, problem: describeSettingsError(err) };
    }
    this.changed();
  }

  /** Shows who has received and read own message `seq` of the open conversation, and when. */
  showMessageInfo(seq: number): void {
    const id = this.openId;
    // A channel has no read receipts (the server refuses to say).
    const open = this.conversations.find((c) => c.id === id);
    if (open && isChannel(open)) return;
    const item = id
      ? this.timeline(id)
          .items()
          .find((i) => i.seq === seq)
      : undefined;
    if (!id || !item) return;
    this.messageInfo = { seq, text: item.text };
    this.changed();
    void this.loadMessageInfo(id, seq);
  }

  closeMessageInfo(): void {
    clearTimeout(this.infoTimer);
    this.infoTimer = undefined;
    this.messageInfo = undefined;
    this.changed();
  }

  /** The page became visible again: what is on screen is read. */
  visible(): void {
    this.markRead();
    this.changed();
  }

  /** The other member of a 1:1 conversation (undefined for groups and channels). */
  private peerOf(c: ConversationView): string | undefined {
    return c.kind === 'direct' ? c.members.find((m) => m.id !== this.me.userId)?.id : undefined;
  }

  /**
   * Whose presence shows: the open conversation's other member, then the list's 1:1 peers, newest
   * first, at most PRESENCE_WATCH_MAX. Sorted, so a list that only moved sends no new watch.
   */
  private watchList(): string[] {
    const open = this.conversations.find((c) => c.id === this.openId);
    const peers = new Set<string>();
    for (const c of open ? [open, ...this.conversations] : this.conversations) {
      if (peers.size >= PRESENCE_WATCH_MAX) break;
      const peer = this.peerOf(c);
      if (peer) peers.add(peer);
    }
    return [...peers].sort();
  }

  /** The open conversation's line under its name (see ChatSnapshot.status). */
  private statusOf(open: ConversationView | undefined): string | undefined {
    if (!open || isChannel(open)) return undefined;
    const typing = typingLine(this.client.presence.typingIn(open.id, Date.now()));
    if (typing) return typing;
    const peer = this.peerOf(open);
    return (peer && presenceLine(this.client.presence.of(peer), (iso) => seenAt(iso))) ?? undefined;
  }

  private get cacheKey(): string {
    return `conversations:${this.me.userId}`;
  }

  private timeline(conversationId: string): Timeline {
    let timeline = this.timelines.get(conversationId);
    if (!timeline) {
      timeline = new Timeline(this.me.userId, this.me.username);
      this.timelines.set(conversationId, timeline);
    }
    return timeline;
  }

  private askHistory(conversationId: string): void {
    if (this.historyAsked.has(conversationId)) return;
    if (this.client.history(conversationId, HISTORY_PAGE)) this.historyAsked.add(conversationId);
  }

  /** The outbox's entries, in their conversations' timelines (after a reload, offline too). */
  private showPending(): void {
    for (const entry of this.client.pending) {
      if (entry.conversationId) this.timeline(entry.conversationId).addPending(entry);
    }
  }

  private take(message: DeliveredMessage): void {
    this.timeline(message.conversationId).addStored(message);
    if (message.event) this.applyEvent(message);
    this.bump(message);
    this.markRead();
    this.changed();
  }

  /** A newer message moves its conversation to the top with its preview (and unread count). */
  private bump(message: DeliveredMessage): void {
    const index = this.conversations.findIndex((c) => c.id === message.conversationId);
    if (index < 0) {
      this.scheduleRefresh();
    } else {
      const c = this.conversations[index];
      if (message.seq > c.lastSeq) {
        const own = message.senderId === this.me.userId;
        const unread = own || this.openId === c.id ? c.unread : c.unread + 1;
        const updated = { ...c, lastMessage: message, lastSeq: message.seq, unread };
        this.conversations = [updated, ...this.conversations.filter((x) => x.id !== c.id)];
      }
    }
  }

  /**
   * A membership event moves the group's entry at once (name, members, roles, whether this user
   * is still in it); the list is read again for what an event does not say (the new members'
   * receipt cursors).
   */
  private applyEvent(message: DeliveredMessage): void {
    const before = this.conversations.find((c) => c.id === message.conversationId);
    if (!before) return; // a new group: `bump` reads the list
    const after = applyConversationEvent(before, message, this.me.userId);
    // A channel lists only its admins and its events do not say who they are now (a promotion
    // decides who may post): the list does.
    if (isChannel(before)) {
      if (after !== before)
        this.conversations = this.conversations.map((c) => (c === before ? after : c));
      if (message.seq > before.lastSeq) this.scheduleRefresh();
      return;
    }
    if (after === before) return;
    const gone = before.members.filter((m) => !after.members.some((a) => a.id === m.id));
    this.client.receipts.forget(
      message.conversationId,
      gone.map((m) => m.id),
    );
    this.conversations = this.conversations.map((c) => (c.id === after.id ? after : c));
    this.scheduleRefresh();
  }

  private async loadMessageInfo(conversationId: string, seq: number): Promise<void> {
    const showing = () =>
      this.openId === conversationId && this.messageInfo?.seq === seq
        ? this.messageInfo
        : undefined;
    try {
      const answer = await this.api.messageReceipts(conversationId, seq);
      const info = showing();
      if (info) this.messageInfo = { ...info, answer, problem: undefined };
    } catch (err) {
      const info = showing();
      if (info) this.messageInfo = { ...info, problem: describeInfoError(err) };
    }
    this.changed();
  }

  private scheduleInfoRefresh(): void {
    if (this.infoTimer) return;
    this.infoTimer = setTimeout(() => {
      this.infoTimer = undefined;
      const id = this.openId;
      if (id && this.messageInfo) void this.loadMessageInfo(id, this.messageInfo.seq);
    }, 300);
  }

  /** The open conversation, while the page is visible, is read up to its newest message. */
  private markRead(): void {
    const id = this.openId;
    if (!id || (typeof document !== 'undefined' && document.visibilityState === 'hidden')) return;
    const newest = this.timeline(id)
      .items()
      .reduce((max, i) => Math.max(max, i.seq ?? 0), 0);
    if (newest <= (this.readSent.get(id) ?? 0)) return;
    if (!this.client.markRead(id, newest)) return;
    this.readSent.set(id, newest);
    this.conversations = this.conversations.map((c) =>
      c.id === id ? { ...c, readSeq: Math.max(c.readSeq, newest), unread: 0 } : c,
    );
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refreshConversations();
    }, 300);
  }

  private async refreshConversations(): Promise<void> {
    const asked = ++this.listAsked;
    try {
      const answer = await this.api.conversations();
      if (asked < this.listShown) return;
      this.listShown = asked;
      // A conversation opened here while this read was under way may be missing from its answer:
      // it stays (the next read has it), or a reload without network would not find it.
      const opened = this.conversations.filter(
        (c) => (this.openedAt.get(c.id) ?? 0) >= asked && !answer.some((a) => a.id === c.id),
      );
      this.conversations = [...opened, ...answer];
      // The members' receipt cursors: the marks of own messages, right after every reconnect.
      // (A channel has no read receipts: its listed admins' cursors mark nothing.)
      for (const c of this.conversations) {
        if (!isChannel(c)) this.client.receipts.seed(c.id, c.members);
      }
      this.changed();
    } catch {
      // Offline or session trouble: the connection state says so.
    }
  }

  /**
   * The list is kept in IndexedDB without message text (enough to find one's chats, and their
   * unsent messages, after a reload without network).
   */
  private persistList(): void {
    if (this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      const skeleton = this.conversations.map((c) => ({ ...c, lastMessage: null }));
      void idbUpdate('cache', this.cacheKey, () => skeleton).catch(() => undefined);
    }, 200);
  }

  private build(): ChatSnapshot {
    const id = this.openId;
    const open = this.conversations.find((c) => c.id === id);
    // In a channel own messages are only pending or sent: it has no delivered or read marks.
    const receipts = open && isChannel(open) ? undefined : this.client.receipts;
    return {
      me: this.me,
      connection: this.connection,
      conversations: this.conversations,
      openId: id,
      items: id ? this.timeline(id).items(receipts) : [],
      hasOlder: id ? this.hasOlder.get(id) !== false : false,
      notice: this.notice,
      upload: this.uploadShown(id),
      searchResults: this.searchResults,
      messageInfo: this.messageInfo,
      channelSearch: this.channelSearch,
      settings: this.settings,
      online: new Set(
        this.conversations
          .filter((c) => {
            const peer = this.peerOf(c);
            return peer !== undefined && this.client.presence.of(peer)?.online === true;
          })
          .map((c) => c.id),
      ),
      status: this.statusOf(open),
    };
  }

  private changed(): void {
    // The open conversation is drawn again when its next disappearing message expires.
    this.expiry.set(this.openId ? this.timeline(this.openId).nextExpiry() : undefined);
    if (this.conversations !== this.persisted) {
      this.persisted = this.conversations;
      this.persistList();
    }
    const watched = this.watchedFor;
    if (watched?.conversations !== this.conversations || watched.openId !== this.openId) {
      this.watchedFor = { conversations: this.conversations, openId: this.openId };
      this.client.watchPresence(this.watchList());
    }
    this.snapshot = this.build();
    for (const listener of this.listeners) listener();
  }
}
