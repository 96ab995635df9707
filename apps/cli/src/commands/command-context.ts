import { ApiClient } from '@parley/client';
import { ConfigStore, Credentials } from '../config/config.store';

/** What every command gets: where files are, the server, the API client, and the terminal. */
export interface CommandContext {
  config: ConfigStore;
  server: string;
  api: ApiClient;
  env: NodeJS.ProcessEnv;
  flags: Record<string, string | undefined>;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export function requireCredentials(ctx: CommandContext): Credentials {
  const credentials = ctx.config.readCredentials();
  if (!credentials) throw new NotLoggedIn();
  return credentials;
}

/** No credentials in the config directory: say how to log in. */
export class NotLoggedIn extends Error {
  constructor(message = 'not logged in: run `parley login`') {
    super(message);
    this.name = 'NotLoggedIn';
  }
}

/** Raised for a wrong command line; main prints it with the usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
