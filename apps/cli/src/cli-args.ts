import { parseArgs } from 'node:util';

export interface CliArgs {
  command: string | undefined;
  args: string[];
  flags: Record<string, string | undefined>;
  help: boolean;
}

/** `parley [--server URL] <command> [args] [--username U --email E --name N]`. */
export function parseCliArgs(argv: string[]): CliArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      server: { type: 'string' },
      username: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...args] = positionals;
  return {
    command,
    args,
    flags: {
      server: values.server,
      username: values.username,
      email: values.email,
      name: values.name,
    },
    help: values.help ?? false,
  };
}

export const USAGE = `usage: parley [--server URL] <command>

  register [--username U --email E --name "Real Name"]   create an account (password: prompt or PARLEY_PASSWORD)
  login [--username U]                                   log in and store tokens
  logout                                                 revoke this log-in and forget the tokens
  whoami                                                 who is logged in, where
  settings [read-receipts on|off]                        show or change your settings
  settings presence everyone|contacts|nobody             who sees you online and your last seen
  contacts [add|remove <username>]                       list or edit contacts
  users <prefix>                                         find people by username prefix
  chats                                                  conversations, newest first, unread counts, who is online
  chat <username>                                        open a chat (/quit, Ctrl-C or Ctrl-D to leave); its header
                                                         says online, typing… or last seen; /image <path> [caption]
                                                         sends a picture, /save [n] [file] saves one
  group [list]                                           your groups
  group create <name> <user>…                            make a group (you are its admin)
  group chat <group>                                     open a group chat (/members, /add, /remove, /leave…)
  group members|add|remove|promote|demote|rename|leave <group> …   manage a group
  channel [list] [<name>]                                public channels, and yours
  channel create [--private] <name>                      make a broadcast channel (you post)
  channel join|chat|leave <channel>                      join, read (and post, as an admin), leave
  channel add|remove|promote|demote|rename <channel> …   manage a channel (admins)
  sync                                                   connect, sync until this device agrees with the server, disconnect

environment: PARLEY_SERVER (default http://127.0.0.1:3000), PARLEY_CONFIG_DIR
(default $XDG_CONFIG_HOME/parley or ~/.config/parley), PARLEY_PASSWORD (for scripts),
PARLEY_SYNC_TIMEOUT_MS (how long "parley sync" may take; default 60000)
`;
