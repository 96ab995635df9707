import { ApiClient } from '../api/api.client';
import { NotLoggedInError } from '../api/api.errors';
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
  if (!credentials) throw new NotLoggedInError();
  return credentials;
}

/** Raised for a wrong command line; main prints it with the usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
