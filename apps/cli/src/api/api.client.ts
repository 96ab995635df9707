import type { DeliveredMessage } from '@parley/common';
import type { ConfigStore, Credentials } from '../config/config.store';
import { ApiError, NotLoggedInError, OfflineError, apiErrorFromBody } from './api.errors';
import type {
  ConnectAnswer,
  ContactView,
  ConversationView,
  LoginAnswer,
  MessagesPage,
  TokenPair,
  UserView,
} from './api.types';

const REQUEST_TIMEOUT_MS = 10_000;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * The HTTP API of a gateway. Authenticated calls carry the stored access token; a 401 triggers one
 * refresh with the stored refresh token, and the rotated pair is saved before the call is retried.
 */
export class ApiClient {
  /** Other gateways to try when the primary does not answer (learned from /v1/connect backups). */
  private fallbacks: string[] = [];

  constructor(
    readonly server: string,
    private readonly config: ConfigStore,
  ) {}

  /** Remembers other gateways' HTTP bases; used only when the primary server is unreachable. */
  setFallbacks(servers: string[]): void {
    this.fallbacks = [...new Set(servers)].filter((s) => s !== this.server);
  }

  // --- accounts ---

  async register(body: {
    username: string;
    email: string;
    realName: string;
    password: string;
  }): Promise<UserView> {
    const answer = await this.request<{ user: UserView }>('POST', '/v1/auth/register', body);
    return answer.user;
  }

  /** Logs in and stores the credentials. */
  async login(username: string, password: string): Promise<Credentials> {
    const answer = await this.request<LoginAnswer>('POST', '/v1/auth/login', {
      username,
      password,
    });
    const credentials: Credentials = {
      server: this.server,
      username: answer.user.username,
      userId: answer.user.id,
      ...tokenFields(answer),
    };
    this.config.writeCredentials(credentials);
    return credentials;
  }

  /** Revokes the refresh token on the server (best effort) and forgets the credentials. */
  async logout(): Promise<void> {
    const credentials = this.config.readCredentials();
    if (!credentials) return;
    try {
      await this.request(
        'POST',
        '/v1/auth/logout',
        { refreshToken: credentials.refreshToken },
        {
          token: credentials.accessToken,
        },
      );
    } finally {
      this.config.clearCredentials();
    }
  }

  async me(): Promise<UserView> {
    return (await this.authed<{ user: UserView }>('GET', '/v1/auth/me')).user;
  }

  // --- directory ---

  connect(deviceId: string): Promise<ConnectAnswer> {
    return this.authed<ConnectAnswer>('POST', '/v1/connect', { deviceId });
  }

  // --- people ---

  async users(prefix: string, limit = 20): Promise<UserView[]> {
    const query = new URLSearchParams({ prefix, limit: String(limit) });
    const answer = await this.authed<{ users: UserView[] } | UserView[]>(
      'GET',
      `/v1/users?${query.toString()}`,
    );
    return Array.isArray(answer) ? answer : answer.users;
  }

  async contacts(): Promise<ContactView[]> {
    const answer = await this.authed<{ contacts: ContactView[] } | ContactView[]>(
      'GET',
      '/v1/contacts',
    );
    return Array.isArray(answer) ? answer : answer.contacts;
  }

  async addContact(username: string): Promise<void> {
    await this.authed('PUT', `/v1/contacts/${encodeURIComponent(username)}`);
  }

  async removeContact(username: string): Promise<void> {
    await this.authed('DELETE', `/v1/contacts/${encodeURIComponent(username)}`);
  }

  // --- conversations ---

  async conversations(): Promise<ConversationView[]> {
    const answer = await this.authed<{ conversations: ConversationView[] } | ConversationView[]>(
      'GET',
      '/v1/conversations',
    );
    return Array.isArray(answer) ? answer : answer.conversations;
  }

  /** Finds or creates the 1:1 conversation with `username`. */
  async openConversation(username: string): Promise<ConversationView> {
    const answer = await this.authed<{ conversation: ConversationView } | ConversationView>(
      'POST',
      '/v1/conversations',
      { with: username },
    );
    return 'conversation' in answer ? answer.conversation : answer;
  }

  async messages(conversationId: string, limit: number, beforeSeq?: number): Promise<MessagesPage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (beforeSeq !== undefined) query.set('beforeSeq', String(beforeSeq));
    const answer = await this.authed<MessagesPage | DeliveredMessage[]>(
      'GET',
      `/v1/conversations/${encodeURIComponent(conversationId)}/messages?${query.toString()}`,
    );
    return Array.isArray(answer) ? { messages: answer, hasMore: false } : answer;
  }

  /**
   * A newly issued access token (rotating the stored pair), to renew an open socket's
   * authorization before the one it was opened with expires.
   */
  async freshAccessToken(): Promise<string> {
    const credentials = this.config.readCredentials();
    if (!credentials) throw new NotLoggedInError();
    return (await this.refresh(credentials)).accessToken;
  }

  // --- plumbing ---

  /** An authenticated call: one refresh-and-retry on 401. */
  private async authed<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const credentials = this.config.readCredentials();
    if (!credentials) throw new NotLoggedInError();
    try {
      return await this.request<T>(method, path, body, { token: credentials.accessToken });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
    }
    const refreshed = await this.refresh(credentials);
    return this.request<T>(method, path, body, { token: refreshed.accessToken });
  }

  /**
   * Rotates the token pair. Another `parley` process on the same config directory may have rotated
   * it already (sending the old token again would look like theft and revoke the log-in), so the
   * file is read again first and a newer pair on disk is used as is.
   */
  private async refresh(used: Credentials): Promise<Credentials> {
    const current = this.config.readCredentials();
    if (!current) throw new NotLoggedInError();
    if (current.refreshToken !== used.refreshToken) return current;
    let pair: TokenPair;
    try {
      pair = await this.request<TokenPair>('POST', '/v1/auth/refresh', {
        refreshToken: current.refreshToken,
      });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401)
        throw new NotLoggedInError('session expired: run `parley login`');
      throw err;
    }
    const next: Credentials = { ...current, ...tokenFields(pair) };
    this.config.writeCredentials(next);
    return next;
  }

  private async request<T = unknown>(
    method: Method,
    path: string,
    body?: unknown,
    options: { token?: string } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let res: Response | undefined;
    let failure: unknown;
    for (const base of [this.server, ...this.fallbacks]) {
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        break;
      } catch (err) {
        failure = err;
      }
    }
    if (!res) throw new OfflineError(this.server, failure);
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) throw apiErrorFromBody(res.status, parsed);
    return parsed as T;
  }
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
