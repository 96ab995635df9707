/**
 * What the page keeps in localStorage: nothing secret. The device id (one per browser, so the
 * delivered cursor survives reloads) and who was logged in last (id and name only: the page can
 * then show that user's unsent messages while offline, before the server can be asked).
 */
const DEVICE_KEY = 'parley.device';
const LAST_USER_KEY = 'parley.last-user';

export interface LastUser {
  userId: string;
  username: string;
}

export function deviceId(): string {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    id = `web-${crypto.randomUUID().replace(/-/g, '')}`;
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

export function lastUser(): LastUser | undefined {
  try {
    const value = JSON.parse(localStorage.getItem(LAST_USER_KEY) ?? 'null') as unknown;
    if (value && typeof value === 'object') {
      const { userId, username } = value as Record<string, unknown>;
      if (typeof userId === 'string' && typeof username === 'string') return { userId, username };
    }
  } catch {
    // not JSON: nobody
  }
  return undefined;
}

export function rememberUser(user: LastUser | undefined): void {
  if (user) localStorage.setItem(LAST_USER_KEY, JSON.stringify(user));
  else localStorage.removeItem(LAST_USER_KEY);
}
