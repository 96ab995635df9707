import { MemoryCredentialsStore } from '@parley/client';

/** A client library credentials store already signed in as alice on `server` (unit tests). */
export function signedInCredentials(server: string, accessToken = 'a'): MemoryCredentialsStore {
  return new MemoryCredentialsStore({
    server,
    username: 'alice',
    userId: 'u',
    accessToken,
    refreshToken: 'R'.repeat(43),
  });
}
