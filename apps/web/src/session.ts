import {
  ApiClient,
  ApiError,
  Connection,
  type Handshake,
  MemoryCredentialsStore,
  NotLoggedInError,
  ParleyClient,
  type WebSocketFactory,
} from '@parley/client';
import { CloseCode, type RegisterBody } from '@parley/protocol';
import { ChatStore } from './chat-store';
import { IdbOutboxStore } from './storage/idb-outbox.store';
import { IdbConversationStateStore } from './storage/idb-state.store';
import { deviceId, lastUser, type LastUser, rememberUser } from './storage/local';
import { xhrUpload } from './xhr-upload';

export type Phase =
  | { kind: 'starting' }
  | { kind: 'signed-out'; error?: string }
  | { kind: 'signed-in'; chat: ChatStore };

const RESUME_RETRY_MS = 5_000;

/**
 * The page's session. The refresh token lives in an HttpOnly cookie (ApiClient's cookie mode),
 * the access token in memory only, so after a reload the session is resumed from the cookie. A
 * page opened offline shows the last user's unsent messages and resumes when the network is back;
 * a message written offline waits in IndexedDB. Going offline pauses the connection, coming back
 * resumes it.
 */
export class WebSession {
  readonly api = new ApiClient({
    server: location.origin,
    credentials: new MemoryCredentialsStore(),
    session: 'cookie',
    // Images go up through XMLHttpRequest, which reports the bytes sent (the upload's progress).
    upload: xhrUpload,
  });
  /** A page that knows of no earlier log-in starts on the log-in form (see `boot`). */
  private phase: Phase = lastUser() ? { kind: 'starting' } : { kind: 'signed-out' };
  private readonly listeners = new Set<() => void>();
  private resumeTimer?: ReturnType<typeof setTimeout>;

  constructor() {
    addEventListener('online', () => this.onOnline());
    addEventListener('offline', () => this.chat?.client.pause('offline'));
    document.addEventListener('visibilitychange', () => {
      // The user is online while a page of theirs is in sight.
      this.chat?.client.setForeground(document.visibilityState === 'visible');
      if (document.visibilityState === 'visible') this.chat?.visible();
      // A tab going away writes its conversation states now, not a moment later.
      else void this.chat?.client.flush();
    });
    addEventListener('pagehide', () => void this.chat?.client.flush());
  }

  get current(): Phase {
    return this.phase;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * At page load: resume from the cookie; offline, show the last user's unsent messages. A page
   * that knows of no earlier log-in shows the log-in form at once and resumes in the background
   * (a cookie can outlive localStorage).
   */
  async boot(): Promise<void> {
    const last = lastUser();
    try {
      const credentials = await this.api.resume();
      await this.signedIn({ userId: credentials.userId, username: credentials.username }, true);
    } catch (err) {
      if (err instanceof NotLoggedInError || (err instanceof ApiError && err.status < 500)) {
        if (this.phase.kind === 'starting') this.set({ kind: 'signed-out' });
      } else if (last) {
        await this.signedIn(last, false); // offline: resume when the network is back
        this.scheduleResume();
      } else if (this.phase.kind !== 'signed-in') {
        this.set({ kind: 'signed-out', error: 'The server cannot be reached.' });
      }
    }
  }

  async login(username: string, password: string): Promise<void> {
    const credentials = await this.api.login(username, password);
    await this.signedIn({ userId: credentials.userId, username: credentials.username }, true);
  }

  async register(body: RegisterBody): Promise<void> {
    await this.api.register(body);
    await this.login(body.username, body.password);
  }

  async logout(): Promise<void> {
    const chat = this.chat;
    chat?.stop();
    await this.api.logout().catch(() => undefined);
    if (chat) {
      await Promise.all([
        new IdbOutboxStore(chat.me.userId).clear(),
        new IdbConversationStateStore(chat.me.userId).clear(),
      ]).catch(() => undefined);
    }
    rememberUser(undefined);
    this.set({ kind: 'signed-out' });
  }

  /** "Use here": this tab takes the connection back from another one. */
  useHere(): void {
    this.chat?.client.resume();
  }

  private get chat(): ChatStore | undefined {
    return this.phase.kind === 'signed-in' ? this.phase.chat : undefined;
  }

  private async signedIn(user: LastUser, online: boolean): Promise<void> {
    rememberUser(user);
    const existing = this.chat;
    if (existing && existing.me.userId === user.userId) {
      if (online) await existing.client.start();
      return;
    }
    existing?.stop();
    const connection = new Connection({
      api: this.api,
      deviceId: deviceId(),
      sockets: browserSockets,
      sync: 'v2',
    });
    const client = new ParleyClient({
      connection,
      outbox: new IdbOutboxStore(user.userId),
      states: new IdbConversationStateStore(user.userId),
      foreground: document.visibilityState === 'visible',
    });
    const chat = new ChatStore(user, this.api, client);
    client.events.on('state', (state) => {
      if (state.kind === 'stopped' && state.code === CloseCode.SessionEnded) {
        void this.boot(); // the cookie tells whether any session is left
      }
    });
    this.set({ kind: 'signed-in', chat });
    await chat.start(online && navigator.onLine);
  }

  private onOnline(): void {
    const chat = this.chat;
    if (!chat) return;
    if (chat.client.isOnline) return;
    void this.api
      .resume()
      .then(() => chat.client.start())
      .catch((err: unknown) => {
        if (err instanceof NotLoggedInError) this.set({ kind: 'signed-out' });
        else this.scheduleResume();
      });
  }

  private scheduleResume(): void {
    clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      if (navigator.onLine) this.onOnline();
      else this.scheduleResume();
    }, RESUME_RETRY_MS);
  }

  private set(phase: Phase): void {
    this.phase = phase;
    for (const listener of this.listeners) listener();
  }
}

/** A refusal the page shows as it is (wrong password, taken name, throttled). */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.describe();
  if (err instanceof Error && err.name === 'OfflineError') return 'The server cannot be reached.';
  return 'Something went wrong; try again.';
}

/**
 * The browser's WebSocket. It cannot set an `Authorization` header on an upgrade, so a socket
 * opened directly on the page's gateway carries the access token in a subprotocol
 * (docs/PROTOCOL.md, "Opening a socket directly").
 */
const browserSockets: WebSocketFactory = Object.assign(
  (url: string, _onPing: () => void, handshake?: Handshake) =>
    new WebSocket(url, handshake?.protocols ? [...handshake.protocols] : []),
  { bearer: 'protocol' as const },
);
