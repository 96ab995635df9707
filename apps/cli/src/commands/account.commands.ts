import { sanitize } from '../chat/message-line';
import { Prompter } from '../terminal/prompter';
import { CommandContext, requireCredentials } from './command-context';
import { describeSettings, settingsChange } from './settings';

/** Asks for what flags and PARLEY_PASSWORD did not give. */
async function collect<T extends string>(
  ctx: CommandContext,
  fields: { key: T; flag: string; label: string; secret?: boolean }[],
): Promise<Record<T, string>> {
  const values = {} as Record<T, string>;
  let prompter: Prompter | undefined;
  try {
    for (const field of fields) {
      const given = field.secret ? ctx.env.PARLEY_PASSWORD : ctx.flags[field.flag];
      if (given) {
        values[field.key] = given;
        continue;
      }
      prompter ??= new Prompter(ctx.stdin, ctx.stdout);
      values[field.key] = field.secret
        ? await prompter.secret(`${field.label}: `)
        : await prompter.ask(`${field.label}: `);
    }
  } finally {
    prompter?.close();
  }
  return values;
}

export async function registerCommand(ctx: CommandContext): Promise<void> {
  const v = await collect(ctx, [
    { key: 'username', flag: 'username', label: 'Username' },
    { key: 'email', flag: 'email', label: 'Email' },
    { key: 'realName', flag: 'name', label: 'Real name' },
    { key: 'password', flag: 'password', label: 'Password (10+ characters)', secret: true },
  ]);
  const user = await ctx.api.register(v);
  ctx.stdout.write(`Registered ${user.username}.\n`);
  await ctx.api.login(v.username, v.password);
  ctx.stdout.write(`Logged in as ${user.username} on ${ctx.server}.\n`);
}

export async function loginCommand(ctx: CommandContext): Promise<void> {
  const v = await collect(ctx, [
    { key: 'username', flag: 'username', label: 'Username' },
    { key: 'password', flag: 'password', label: 'Password', secret: true },
  ]);
  const credentials = await ctx.api.login(v.username, v.password);
  ctx.stdout.write(`Logged in as ${credentials.username} on ${ctx.server}.\n`);
}

export async function logoutCommand(ctx: CommandContext): Promise<void> {
  const credentials = ctx.config.readCredentials();
  if (!credentials) {
    ctx.stdout.write('Not logged in.\n');
    return;
  }
  ctx.config.clearStates(credentials.userId);
  try {
    await ctx.api.logout();
    ctx.stdout.write('Logged out.\n');
  } catch {
    ctx.stdout.write('Logged out locally (the server could not be told).\n');
  }
}

export async function whoamiCommand(ctx: CommandContext): Promise<void> {
  const credentials = requireCredentials(ctx);
  const user = await ctx.api.me();
  const name = user.realName ? ` (${sanitize(user.realName)})` : '';
  ctx.stdout.write(`${user.username}${name} on ${credentials.server}\n`);
}

/**
 * `parley settings` shows one's settings; `parley settings read-receipts on|off` or
 * `parley settings presence everyone|contacts|nobody` changes one (see `describeSettings`).
 */
export async function settingsCommand(ctx: CommandContext, args: string[]): Promise<void> {
  requireCredentials(ctx);
  const change = settingsChange(args);
  const settings = change ? await ctx.api.changeSettings(change) : await ctx.api.settings();
  ctx.stdout.write(describeSettings(settings));
}
