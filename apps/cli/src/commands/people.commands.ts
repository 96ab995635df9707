import { sanitize } from '../chat/message-line';
import { CommandContext, UsageError } from './command-context';

export async function usersCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const prefix = args[0] ?? '';
  if (!prefix) throw new UsageError('usage: parley users <prefix>');
  const users = await ctx.api.users(prefix);
  if (users.length === 0) ctx.stdout.write(`No users starting with "${prefix}".\n`);
  for (const user of users)
    ctx.stdout.write(
      `${sanitize(user.username)}${user.realName ? `  ${sanitize(user.realName)}` : ''}\n`,
    );
}

export async function contactsCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [action, username] = args;
  if (action === 'add' || action === 'remove') {
    if (!username) throw new UsageError(`usage: parley contacts ${action} <username>`);
    if (action === 'add') await ctx.api.addContact(username);
    else await ctx.api.removeContact(username);
    ctx.stdout.write(`${action === 'add' ? 'Added' : 'Removed'} ${username}.\n`);
    return;
  }
  if (action !== undefined) throw new UsageError('usage: parley contacts [add|remove <username>]');
  const contacts = await ctx.api.contacts();
  if (contacts.length === 0) ctx.stdout.write('No contacts yet: parley contacts add <username>\n');
  for (const contact of contacts)
    ctx.stdout.write(
      `${sanitize(contact.username)}${contact.realName ? `  ${sanitize(contact.realName)}` : ''}\n`,
    );
}
