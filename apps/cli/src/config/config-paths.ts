import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_SERVER = 'http://127.0.0.1:3000';

/** Where the CLI keeps its files: PARLEY_CONFIG_DIR, else $XDG_CONFIG_HOME/parley, else ~/.config/parley. */
export function resolveConfigDir(env: NodeJS.ProcessEnv, home = homedir()): string {
  if (env.PARLEY_CONFIG_DIR) return env.PARLEY_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'parley');
  return join(home, '.config', 'parley');
}

/** The server base URL without a trailing slash: --server, else PARLEY_SERVER, else the default. */
export function resolveServer(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const raw = flag ?? env.PARLEY_SERVER ?? DEFAULT_SERVER;
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`--server must be an http(s) URL, got ${raw}`);
  return url.toString().replace(/\/+$/, '');
}

/** ws://host:port/ws -> http://host:port (the HTTP API of the gateway behind a WebSocket URL). */
export { httpBaseOfSocketUrl } from '@parley/client';
