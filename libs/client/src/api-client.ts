import {
  type ConnectAnswer,
  connectAnswerSchema,
  type Contact,
  contactsAnswerSchema,
  type ConversationView,
  conversationAnswerSchema,
  conversationsAnswerSchema,
  type HistoryPage,
  historyPageSchema,
  type ImageUploadType,
  imageUploadAnswerSchema,
  type ImageVariant,
  type MessageImage,
  type LoginAnswer,
  loginAnswerSchema,
  type MessageReceiptsAnswer,
  messageReceiptsAnswerSchema,
  type SettingsBody,
  type SettingsView,
  settingsViewSchema,
  type PresenceAnswer,
  presenceAnswerSchema,
  type ChannelsAnswer,
  channelsAnswerSchema,
  type RegisterBody,
  type TokenPair,
  tokenPairSchema,
  type UserSummary,
  type UserView,
  userAnswerSchema,
  usersAnswerSchema,
  WEB_CLIENT_HEADER,
  type WebSessionAnswer,
  webSessionAnswerSchema,
} from '@parley/protocol';
import type { z } from 'zod/v4';
import {
  apiErrorFromAnswer,
  ApiError,
  NotLoggedInError,
  OfflineError,
  parseAnswerJson,
  ProtocolError,
} from './errors';
import type { Credentials, CredentialsStore } from './stores';

const REQUEST_TIMEOUT_MS = 10_000;
/** An upload waits for the server to process the image too (its IMAGE_PROCESS_TIMEOUT_MS is 30 s). */
const UPLOAD_TIMEOUT_MS = 45_000;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** How the client reaches the network (the global fetch by default; a fake in unit tests). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Bytes of a request body sent so far, of its total. */
export type UploadProgress = (sentBytes: number, totalBytes: number) => void;

/** What an Uploader sends (built by the ApiClient: its headers carry the token and content type). */
export interface UploadInit {
  method: string;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Aborts the upload (the ApiClient's timeout): reject as fetch does, with its reason. */
  signal: AbortSignal;
  onProgress?: UploadProgress;
}

/**
 * How the client sends an upload's body, reporting its progress: resolves the answer whatever its
 * status (as fetch does), rejects when none came (network error, abort, timeout). The default,
 * `fetchUploader`, goes through the client's fetch and reports once, (total, total), when
 * answered; a page passes one that reports while the bytes go (XMLHttpRequest's `upload`).
 */
export type Uploader = (url: string, init: UploadInit) => Promise<Response>;

/** An Uploader over `fetch`: no progress while sending, (total, total) once answered. */
export function fetchUploader(fetcher: FetchLike): Uploader {
  return async (url, { body, onProgress, ...init }) => {
    const res = await fetcher(url, { ...init, body: body as Uint8Array<ArrayBuffer> });
    onProgress?.(body.byteLength, body.byteLength);
    return res;
  };
}

/** What `uploadImage` may be given besides the bytes. */
export interface UploadImageOptions {
  /**
   * Called as the bytes go (how often depends on the Uploader); a retry (a refreshed token,
   * another gateway) starts again from 0. Once sent is total, the server is processing the image.
   */
  onProgress?: UploadProgress;
}

export interface ApiClientOptions {
  /** The gateway's HTTP base, e.g. http://127.0.0.1:3000 ('' in a page: its own origin). */
  server: string;
  credentials: CredentialsStore;
  fetch?: FetchLike;
  /** How uploads are sent (default: `fetchUploader` over `fetch`, no progress until answered). */
  upload?: Uploader;
  /**
   * `tokens` (default): the refresh token is stored with the credentials (a 0600 file).
   * `cookie`: a browser page; the refresh token stays in an HttpOnly cookie the page cannot read
   * (`/v1/auth/web/*`), and only the access token is kept, in memory.
   */
  session?: 'tokens' | 'cookie';
}

/** An access token this close to expiry is refreshed before a socket is opened with it. */
const ACCESS_TOKEN_MARGIN_MS = 60_000;

/** The Web Locks API where the platform has it (browsers): one refresh at a time across tabs. */
interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/**
 * The gateway's HTTP API, typed by the protocol library: every answer is parsed with its schema.
 * Authenticated calls carry the stored access token; a 401 triggers one refresh with the stored
 * refresh token (rotating it: the new pair is saved before the call is retried). Another gateway
 * learned from `POST /v1/connect` is tried when the primary does not answer.
 */
export class ApiClient {
  readonly server: string;
  private readonly store: CredentialsStore;
  private readonly fetcher: FetchLike;
  private readonly uploader: Uploader;
  /** Other gateways to try when the primary does not answer (learned from /v1/connect backups). */
  private fallbacks: string[] = [];
  /** A refresh in flight: concurrent 401s share it instead of rotating twice (which is theft). */
  private refreshing?: Promise<Credentials>;
  private readonly cookieSession: boolean;

  constructor(options: ApiClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.store = options.credentials;
    this.fetcher = options.fetch ?? ((url, init) => fetch(url, init));
    this.uploader = options.upload ?? fetchUploader(this.fetcher);
    this.cookieSession = options.session === 'cookie';
  }

  /**
   * Remembers other gateways' HTTP bases; used only when the primary server is unreachable. (Not
   * in a page: another origin's API is out of its reach, and its cookie belongs to this one.)
   */
  setFallbacks(servers: string[]): void {
    if (this.cookieSession) return;
    this.fallbacks = [...new Set(servers)].filter((s) => s !== this.server);
  }

  credentials(): Promise<Credentials | undefined> {
    return this.store.read();
  }

  // --- accounts ---

  async register(body: RegisterBody): Promise<UserView> {
    return (await this.request('POST', '/v1/auth/register', userAnswerSchema, body)).user;
  }

  /** Logs in and stores the credentials. */
  async login(username: string, password: string): Promise<Credentials> {
    if (this.cookieSession) {
      const session = await this.request('POST', '/v1/auth/web/login', webSessionAnswerSchema, {
        username,
        password,
      });
      return this.storeWebSession(session);
    }
    const answer: LoginAnswer = await this.request('POST', '/v1/auth/login', loginAnswerSchema, {
      username,
      password,
    });
    const credentials: Credentials = {
      server: this.server,
      username: answer.user.username,
      userId: answer.user.id,
      ...tokenFields(answer),
    };
    await this.store.write(credentials);
    return credentials;
  }

  /**
   * A page's session after a reload: its cookie, if the session lives, gives a fresh access token
   * (stored) and the account. NotLoggedInError when there is none.
   */
  async resume(): Promise<Credentials> {
    if (!this.cookieSession) {
      const stored = await this.store.read();
      if (!stored) throw new NotLoggedInError();
      return stored;
    }
    return this.refresh(undefined);
  }

  /** Ends the session on the server (best effort) and forgets the credentials. */
  async logout(): Promise<void> {
    if (this.cookieSession) {
      try {
        await this.request('POST', '/v1/auth/web/logout');
      } finally {
        await this.store.clear();
      }
      return;
    }
    const credentials = await this.store.read();
    if (!credentials) return;
    try {
      await this.request(
        'POST',
        '/v1/auth/logout',
        undefined,
        { refreshToken: credentials.refreshToken },
        credentials.accessToken,
      );
    } finally {
      await this.store.clear();
    }
  }

  async me(): Promise<UserView> {
    return (await this.authed('GET', '/v1/auth/me', userAnswerSchema)).user;
  }

  /**
   * A newly issued access token (rotating the stored pair), to renew an open socket's
   * authorization before the one it was opened with expires.
   */
  async freshAccessToken(): Promise<string> {
    const credentials = await this.store.read();
    if (!credentials) throw new NotLoggedInError();
    return (await this.refresh(credentials)).accessToken;
  }

  /**
   * The stored access token while it has a minute left, else a refreshed one: what a socket
   * opened directly on a gateway carries in its upgrade.
   */
  async accessToken(): Promise<string> {
    const credentials = await this.store.read();
    if (!credentials) throw new NotLoggedInError();
    const expiresAt = credentials.accessExpiresAt;
    if (expiresAt === undefined || expiresAt - Date.now() > ACCESS_TOKEN_MARGIN_MS) {
      return credentials.accessToken;
    }
    return (await this.refresh(credentials)).accessToken;
  }

  // --- directory ---

  /**
   * A gateway and a ticket for this device; `sync: 'v2'` asks for ordered resume (see
   * PROTOCOL.md); `unreachable` names gateway URLs this device just failed to reach, which the
   * answer then avoids.
   */
  connect(
    deviceId: string,
    sync?: 'v2',
    unreachable: readonly string[] = [],
  ): Promise<ConnectAnswer> {
    return this.authed('POST', '/v1/connect', connectAnswerSchema, {
      deviceId,
      ...(sync ? { sync } : {}),
      ...(unreachable.length > 0 ? { unreachable: unreachable.slice(-8) } : {}),
    });
  }

  // --- people ---

  async users(prefix: string, limit = 20): Promise<UserSummary[]> {
    const query = new URLSearchParams({ prefix, limit: String(limit) });
    return (await this.authed('GET', `/v1/users?${query.toString()}`, usersAnswerSchema)).users;
  }

  async contacts(): Promise<Contact[]> {
    return (await this.authed('GET', '/v1/contacts', contactsAnswerSchema)).contacts;
  }

  async addContact(username: string): Promise<void> {
    await this.authed('PUT', `/v1/contacts/${encodeURIComponent(username)}`);
  }

  async removeContact(username: string): Promise<void> {
    await this.authed('DELETE', `/v1/contacts/${encodeURIComponent(username)}`);
  }

  // --- conversations ---

  async conversations(): Promise<ConversationView[]> {
    return (await this.authed('GET', '/v1/conversations', conversationsAnswerSchema)).conversations;
  }

  /** Finds or creates the 1:1 conversation with `username`. */
  async openConversation(username: string): Promise<ConversationView> {
    return (
      await this.authed('POST', '/v1/conversations', conversationAnswerSchema, { with: username })
    ).conversation;
  }

  messages(conversationId: string, limit: number, beforeSeq?: number): Promise<HistoryPage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (beforeSeq !== undefined) query.set('beforeSeq', String(beforeSeq));
    return this.authed(
      'GET',
      `/v1/conversations/${encodeURIComponent(conversationId)}/messages?${query.toString()}`,
      historyPageSchema,
    );
  }

  /** Public channels, the most members first; `q` narrows them by a part of the name. */
  async channels(q?: string): Promise<ChannelsAnswer['channels']> {
    const query = q ? `?${new URLSearchParams({ q }).toString()}` : '';
    return (await this.authed('GET', `/v1/channels${query}`, channelsAnswerSchema)).channels;
  }

  /** Who has received and read one of my messages, and when (the sender asks; members only). */
  messageReceipts(conversationId: string, seq: number): Promise<MessageReceiptsAnswer> {
    return this.authed(
      'GET',
      `/v1/conversations/${encodeURIComponent(conversationId)}/messages/${seq}/receipts`,
      messageReceiptsAnswerSchema,
    );
  }

  /**
   * Users' presence as this user may see it (at most PRESENCE_WATCH_MAX; hidden ones have null
   * fields). A screen that stays open watches instead (`ParleyClient.watchPresence`).
   */
  presence(userIds: readonly string[]): Promise<PresenceAnswer> {
    const query = new URLSearchParams({ userIds: userIds.join(',') });
    return this.authed('GET', `/v1/presence?${query.toString()}`, presenceAnswerSchema);
  }

  /** One's own settings (read receipts, who sees one's presence). */
  settings(): Promise<SettingsView> {
    return this.authed('GET', '/v1/settings', settingsViewSchema);
  }

  /** Changes the named settings; answers them all. */
  changeSettings(change: SettingsBody): Promise<SettingsView> {
    return this.authed('PUT', '/v1/settings', settingsViewSchema, change);
  }

  // --- images ---

  /**
   * Uploads an image (its bytes and type as the file says: image/jpeg, image/png, image/webp);
   * resolves once the server processed it, with the image to send (`ParleyClient.send` with
   * `{ image }`). `onProgress` follows the bytes sent (see UploadImageOptions).
   */
  async uploadImage(
    bytes: Uint8Array,
    contentType: ImageUploadType,
    options: UploadImageOptions = {},
  ): Promise<MessageImage> {
    const answer = await this.withToken((token) =>
      this.request('POST', '/v1/images', imageUploadAnswerSchema, undefined, token, {
        raw: { bytes, contentType },
        timeoutMs: UPLOAD_TIMEOUT_MS,
        onProgress: options.onProgress,
      }),
    );
    return answer.image;
  }

  /** An image's `thumb` or `display` version (WebP bytes), for its uploader or a member. */
  image(imageId: string, variant: ImageVariant): Promise<Uint8Array> {
    return this.withToken(async (token) => {
      const res = await this.exchange(
        'GET',
        `/v1/images/${encodeURIComponent(imageId)}/${variant}`,
        token,
        {},
      );
      return new Uint8Array(await res.arrayBuffer());
    });
  }

  // --- plumbing ---

  /** An authenticated call: one refresh-and-retry on 401. */
  private async authed<S extends z.ZodType = z.ZodUndefined>(
    method: Method,
    path: string,
    schema?: S,
    body?: unknown,
  ): Promise<z.output<S>> {
    return this.withToken((token) => this.request(method, path, schema, body, token));
  }

  /** `call` with the stored access token; on 401 once more with a refreshed one. */
  private async withToken<T>(call: (accessToken: string) => Promise<T>): Promise<T> {
    const credentials = await this.store.read();
    if (!credentials) throw new NotLoggedInError();
    try {
      return await call(credentials.accessToken);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
    }
    const refreshed = await this.refresh(credentials);
    return call(refreshed.accessToken);
  }

  /**
   * Rotates the token pair. Another process on the same store may have rotated it already
   * (sending the old token again would look like theft and end the session), so the store is
   * read again first and a newer pair there is used as is.
   */
  private refresh(used: Credentials | undefined): Promise<Credentials> {
    this.refreshing ??= this.rotateShared(used).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Across a browser's tabs one refresh at a time, each with the cookie the last one left. */
  private rotateShared(used: Credentials | undefined): Promise<Credentials> {
    if (!this.cookieSession) return this.rotate(used);
    const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
    return locks
      ? locks.request('parley-session-refresh', () => this.rotateCookie())
      : this.rotateCookie();
  }

  private async rotateCookie(): Promise<Credentials> {
    try {
      const session = await this.request('POST', '/v1/auth/web/refresh', webSessionAnswerSchema);
      return await this.storeWebSession(session);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        await this.store.clear();
        throw new NotLoggedInError('the session has ended: log in again');
      }
      throw err;
    }
  }

  private async storeWebSession(session: WebSessionAnswer): Promise<Credentials> {
    const credentials: Credentials = {
      server: this.server || 'http://localhost',
      username: session.user.username,
      userId: session.user.id,
      accessToken: session.accessToken,
      refreshToken: '',
      accessExpiresAt: Date.now() + session.expiresIn * 1000,
    };
    await this.store.write(credentials);
    return credentials;
  }

  private async rotate(used: Credentials | undefined): Promise<Credentials> {
    const current = await this.store.read();
    if (!current || !used) throw new NotLoggedInError();
    if (current.refreshToken !== used.refreshToken) return current;
    let pair: TokenPair;
    try {
      pair = await this.request('POST', '/v1/auth/refresh', tokenPairSchema, {
        refreshToken: current.refreshToken,
      });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        throw new NotLoggedInError('the session has ended: log in again');
      }
      throw err;
    }
    const next: Credentials = { ...current, ...tokenFields(pair) };
    await this.store.write(next);
    return next;
  }

  /** Without a schema the answer is not read: `S` stays its default, whose output is undefined. */
  /**
   * One HTTP exchange, trying the fallbacks when the primary does not answer; a non-2xx answer
   * becomes its ApiError (with Retry-After), so what returns is a success.
   */
  private async exchange(
    method: Method,
    path: string,
    token: string | undefined,
    options: ExchangeOptions,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.raw) headers['content-type'] = options.raw.contentType;
    else if (options.json !== undefined) headers['content-type'] = 'application/json';
    if (this.cookieSession) headers[WEB_CLIENT_HEADER] = '1';
    if (token) headers.authorization = `Bearer ${token}`;
    const { raw, onProgress } = options;
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    let res: Response | undefined;
    let failure: unknown;
    for (const base of [this.server, ...this.fallbacks]) {
      const signal = AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS);
      try {
        // An upload goes through the Uploader (progress); the rest through fetch.
        res = raw
          ? await this.uploader(`${base}${path}`, {
              method,
              headers,
              body: raw.bytes,
              signal,
              onProgress,
            })
          : await this.fetcher(`${base}${path}`, { method, headers, body, signal });
        break;
      } catch (err) {
        failure = err;
      }
    }
    if (!res) throw new OfflineError(this.server, failure);
    if (!res.ok) {
      throw apiErrorFromAnswer(res.status, await res.text(), res.headers.get('retry-after'));
    }
    return res;
  }

  private async request<S extends z.ZodType = z.ZodUndefined>(
    method: Method,
    path: string,
    schema?: S,
    body?: unknown,
    token?: string,
    options: ExchangeOptions = {},
  ): Promise<z.output<S>> {
    const res = await this.exchange(method, path, token, {
      ...options,
      ...(body !== undefined ? { json: body } : {}),
    });
    const parsed = parseAnswerJson(await res.text());
    if (!schema) return undefined as z.output<S>;
    const answer = schema.safeParse(parsed);
    if (!answer.success) throw new ProtocolError(`unexpected answer from ${method} ${path}`);
    return answer.data;
  }
}

/** What a request sends besides its method, path and token. */
interface ExchangeOptions {
  /** A JSON body. */
  json?: unknown;
  /** A body sent as is (an upload), with its content type. */
  raw?: { bytes: Uint8Array; contentType: string };
  /** An upload's progress (with `raw` only). */
  onProgress?: UploadProgress;
  timeoutMs?: number;
}

function tokenFields(
  pair: TokenPair,
): Pick<Credentials, 'accessToken' | 'refreshToken' | 'accessExpiresAt'> {
  return {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    accessExpiresAt: Date.now() + pair.expiresIn * 1000,
  };
}

/** The WebSocket URL of a gateway's HTTP base (http://host:port -> ws://host:port/ws). */
export function socketUrlOfHttpBase(base: string): string | undefined {
  try {
    const parsed = new URL(base);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
    return `${parsed.protocol === 'https:' ? 'wss:' : 'ws:'}//${parsed.host}/ws`;
  } catch {
    return undefined;
  }
}

/** The HTTP base of a gateway's WebSocket URL (ws://host:port/ws -> http://host:port). */
export function httpBaseOfSocketUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') return undefined;
    return `${parsed.protocol === 'wss:' ? 'https:' : 'http:'}//${parsed.host}`;
  } catch {
    return undefined;
  }
}
