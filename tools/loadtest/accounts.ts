import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostPort } from './loopback';

/**
 * Test users: deterministic names (lt_<prefix>_<n>), registered once (a 409 means they exist),
 * logged in once with bounded concurrency (password log-ins are deliberately slow: argon2), and
 * their tokens cached in a file so reruns skip the log-ins. A cached access token is reused while
 * it has more than a minute left; otherwise it is refreshed (cheap), and only if that fails is the
 * user logged in again.
 */
export interface CachedAccount {
  username: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
}

interface CacheFile {
  version: 1;
  gateway: string;
  accounts: Record<string, CachedAccount>;
  /** Users known to exist that were never logged in (`registerOnly`). */
  registered?: string[];
}

export interface ProvisionOptions {
  usernames: string[];
  gateways: string[];
  cacheFile: string;
  concurrency: number;
  password: string;
  /**
   * A cached token is reused only if it stays valid this long: a socket lives as long as the
   * access token it was opened with (the gateway closes it, 4002, at the token's expiry).
   */
  minRemainingMs?: number;
  /**
   * Users that only need to exist (members of a group who stay offline): registered once (one
   * password hash), never logged in (a second one), and left out of the answer.
   */
  registerOnly?: ReadonlySet<string>;
  log: (line: string) => void;
}

export interface ProvisionStats {
  cached: number;
  refreshed: number;
  loggedIn: number;
  registered: number;
  elapsedMs: number;
}

const MIN_REMAINING_MS = 60_000;

export function userName(prefix: string, index: number): string {
  return `lt_${prefix}_${index}`;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly retryAfter?: number,
  ) {
    super(`HTTP ${status} ${code}`);
  }
}

export async function postJson<T>(
  url: string,
  body: unknown,
  token?: string,
  timeoutMs = 30_000,
): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  if (!response.ok) {
    let code = 'http_error';
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? code;
    } catch {
      // not JSON
    }
    const retry = Number(response.headers.get('retry-after'));
    throw new HttpError(response.status, code, Number.isFinite(retry) ? retry : undefined);
  }
  return (text ? JSON.parse(text) : {}) as T;
}

export function httpStatusOf(error: unknown): string {
  if (error instanceof HttpError) return `http_${error.status}_${error.code}`;
  if (error instanceof Error && error.name === 'TimeoutError') return 'http_timeout';
  return 'http_network_error';
}

/**
 * Where a prefix's tokens are cached for the gateways it logs in through (named by the first
 * gateway's host and port): `<root>/.data/loadtest/accounts-<prefix>-<host_port>.json`.
 */
export function accountsCacheFile(root: string, prefix: string, gateway: string): string {
  const place = hostPort(gateway).replace(/[^0-9A-Za-z.]/g, '_');
  return join(root, '.data', 'loadtest', `accounts-${prefix}-${place}.json`);
}

function readCache(file: string, gateway: string): CacheFile {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
    if (parsed.version === 1 && parsed.accounts) return parsed;
  } catch {
    // missing or unreadable: start over
  }
  return { version: 1, gateway, accounts: {} };
}

function writeCache(file: string, cache: CacheFile): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(cache), { mode: 0o600 });
  renameSync(tmp, file);
}

/** Runs `task` for every item with at most `limit` in flight. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  });
  await Promise.all(runners);
  return results;
}

interface TokenAnswer {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user?: { id: string };
}

/** Ensures every username exists and has a usable access token; returns them in order. */
export async function provisionAccounts(
  options: ProvisionOptions,
): Promise<{ accounts: CachedAccount[]; stats: ProvisionStats }> {
  const started = Date.now();
  const { gateways, usernames, password, log } = options;
  const minRemainingMs = options.minRemainingMs ?? MIN_REMAINING_MS;
  const cache = readCache(options.cacheFile, gateways[0]);
  const stats: ProvisionStats = {
    cached: 0,
    refreshed: 0,
    loggedIn: 0,
    registered: 0,
    elapsedMs: 0,
  };

  // A cache from another database (e.g. the e2e stack recreated it) would hold tokens for users
  // that no longer exist: check one cached token and drop the cache if it is not accepted.
  const probe = usernames.map((u) => cache.accounts[u]).find((a) => a && a.expiresAt > Date.now());
  if (probe) {
    const response = await fetch(`${gateways[0]}/v1/auth/me`, {
      headers: { authorization: `Bearer ${probe.accessToken}` },
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
    const me = response?.ok ? ((await response.json()) as { user?: { id?: string } }) : undefined;
    if (me?.user?.id !== probe.userId) {
      log('token cache does not match this stack: starting over');
      cache.accounts = {};
      cache.registered = [];
    }
  }
  const registered = new Set(cache.registered ?? []);

  let dirty = 0;
  let lastSave = Date.now();
  const save = (force = false) => {
    if (dirty > 0 && (force || Date.now() - lastSave > 2000)) {
      cache.registered = [...registered];
      writeCache(options.cacheFile, cache);
      dirty = 0;
      lastSave = Date.now();
    }
  };
  const store = (username: string, answer: TokenAnswer, userId: string) => {
    cache.accounts[username] = {
      username,
      userId,
      accessToken: answer.accessToken,
      refreshToken: answer.refreshToken,
      expiresAt: Date.now() + answer.expiresIn * 1000,
    };
    dirty++;
    save();
  };

  let done = 0;
  const progress = setInterval(() => log(`accounts: ${done}/${usernames.length} ready`), 2000);
  try {
    await mapLimit(usernames, options.concurrency, async (username, i) => {
      const gateway = gateways[i % gateways.length];
      const cached = cache.accounts[username];
      if (options.registerOnly?.has(username)) {
        if (cached || registered.has(username)) {
          stats.cached++;
        } else {
          await register(gateway, username);
          registered.add(username);
          dirty++;
          save();
        }
      } else if (cached && cached.expiresAt - Date.now() > minRemainingMs) {
        stats.cached++;
      } else if (cached) {
        try {
          const answer = await postJson<TokenAnswer>(`${gateway}/v1/auth/refresh`, {
            refreshToken: cached.refreshToken,
          });
          store(username, answer, cached.userId);
          stats.refreshed++;
        } catch {
          // A refused refresh: the session ended, or the cache is from another database whose
          // tokens had all expired (so the probe above had none to check). Register (409 if it
          // exists) and log in.
          await register(gateway, username);
          await login(gateway, username);
        }
      } else {
        await register(gateway, username);
        await login(gateway, username);
      }
      done++;
    });
  } finally {
    clearInterval(progress);
    save(true);
  }

  async function login(gateway: string, username: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await postJson<TokenAnswer>(`${gateway}/v1/auth/login`, {
          username,
          password,
        });
        store(username, answer, answer.user?.id ?? '');
        stats.loggedIn++;
        return;
      } catch (error) {
        if (error instanceof HttpError && (error.status === 401 || error.status === 429)) {
          throw new Error(
            `log-in of ${username} refused (${error.code}${error.retryAfter ? `, retry after ${error.retryAfter} s` : ''}): was it registered with another password?`,
          );
        }
        if (attempt < 3 && !(error instanceof HttpError && error.status < 500)) {
          await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
          continue;
        }
        throw new Error(`log-in of ${username} failed: ${httpStatusOf(error)}`);
      }
    }
  }

  async function register(gateway: string, username: string): Promise<void> {
    try {
      await postJson(`${gateway}/v1/auth/register`, {
        username,
        email: `${username}@loadtest.invalid`,
        realName: `Load test ${username}`,
        password,
      });
      stats.registered++;
    } catch (error) {
      if (error instanceof HttpError && error.status === 409) return; // exists: log in
      throw new Error(`registration of ${username} failed: ${httpStatusOf(error)}`);
    }
  }

  stats.elapsedMs = Date.now() - started;
  const withTokens = options.registerOnly
    ? usernames.filter((u) => !options.registerOnly?.has(u))
    : usernames;
  return { accounts: withTokens.map((u) => cache.accounts[u]), stats };
}
