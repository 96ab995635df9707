#!/usr/bin/env node
import { ApiClient, ApiError, NotLoggedInError, OfflineError } from '@parley/client';
import { ChatError } from './chat/chat-controller';
import { parseCliArgs, USAGE } from './cli-args';
import { CommandContext, NotLoggedIn, UsageError } from './commands/command-context';
import { resolveConfigDir, resolveServer } from './config/config-paths';
import { ConfigStore } from './config/config.store';
import {
  loginCommand,
  logoutCommand,
  registerCommand,
  settingsCommand,
  whoamiCommand,
} from './commands/account.commands';
import { chatCommand } from './commands/chat.command';
import { chatsCommand } from './commands/chats.command';
import { channelCommand } from './commands/channel.command';
import { groupCommand } from './commands/group.command';
import { contactsCommand, usersCommand } from './commands/people.commands';
import { SyncFailed, syncCommand } from './commands/sync.command';

type Command = (ctx: CommandContext, args: string[]) => Promise<void>;

const COMMANDS: Record<string, Command> = {
  register: registerCommand,
  login: loginCommand,
  logout: logoutCommand,
  whoami: whoamiCommand,
  settings: settingsCommand,
  contacts: contactsCommand,
  users: usersCommand,
  chats: chatsCommand,
  chat: chatCommand,
  group: groupCommand,
  channel: channelCommand,
  sync: syncCommand,
};

/** `parley` entry point: returns the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const out = process.stdout;
  const err = process.stderr;
  try {
    let cli: ReturnType<typeof parseCliArgs>;
    try {
      cli = parseCliArgs(argv);
    } catch (e) {
      throw new UsageError(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    }
    const run = cli.command ? COMMANDS[cli.command] : undefined;
    if (cli.help || !run) {
      (cli.help ? out : err).write(USAGE);
      return cli.help ? 0 : 2;
    }
    const config = new ConfigStore(resolveConfigDir(env));
    // Logged-in commands talk to the server the tokens came from unless told otherwise.
    const stored =
      cli.command === 'register' || cli.command === 'login' ? undefined : config.readCredentials();
    const server = resolveServer(cli.flags.server ?? env.PARLEY_SERVER ?? stored?.server, {});
    const ctx: CommandContext = {
      config,
      server,
      api: new ApiClient({ server, credentials: config.credentialsStore() }),
      env,
      flags: cli.flags,
      stdin: process.stdin,
      stdout: out,
      stderr: err,
    };
    await run(ctx, cli.args);
    return 0;
  } catch (e) {
    err.write(`${describeError(e)}\n`);
    if (e instanceof UsageError) return 2;
    return 1;
  }
}

function describeError(e: unknown): string {
  if (e instanceof ApiError) return `error: ${e.describe()}`;
  if (e instanceof OfflineError)
    return `offline: ${e.message}. Is the server running? (--server or PARLEY_SERVER)`;
  if (e instanceof NotLoggedInError) return `${e.message}: run \`parley login\``;
  if (
    e instanceof NotLoggedIn ||
    e instanceof UsageError ||
    e instanceof ChatError ||
    e instanceof SyncFailed
  )
    return e.message;
  return e instanceof Error ? `error: ${e.message}` : 'error';
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
}
