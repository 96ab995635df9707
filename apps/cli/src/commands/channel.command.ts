import { conversationIdSchema } from '@parley/protocol';
import { sanitize } from '../chat/message-line';
import { runChat } from './chat.command';
import { CommandContext, requireCredentials, UsageError } from './command-context';
import { changeGroup, findConversation, stripAt } from './group.command';

export const CHANNEL_USAGE = `usage:
  parley channel list [<part of a name>]
  parley channel create [--private] <name>
  parley channel join <channel>
  parley channel chat <channel>
  parley channel add|remove|promote|demote <channel> <user>…
  parley channel rename <channel> <new name>
  parley channel leave <channel>
(a channel is read by its members and posted to by its admins; <channel> is its name or id;
list shows the public channels you can join, and join takes one of their names or ids)`;

/** `parley channel …`: find, join, create and manage broadcast channels, and read or post in one. */
export async function channelCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case undefined:
    case 'list':
      return listChannels(ctx, rest.join(' '));
    case 'create': {
      const isPrivate = rest[0] === '--private';
      if (isPrivate) rest.shift();
      const name = rest.join(' ');
      if (!name) throw new UsageError(CHANNEL_USAGE);
      const ack = await changeGroup(ctx, {
        op: 'create-channel',
        name,
        public: !isPrivate,
      });
      ctx.stdout.write(
        `Created the ${isPrivate ? 'private' : 'public'} channel !${sanitize(name)} (${ack.conversationId}).\n`,
      );
      return;
    }
    case 'join': {
      if (rest.length === 0) throw new UsageError(CHANNEL_USAGE);
      const id = await publicChannelId(ctx, rest.join(' '));
      await changeGroup(ctx, { op: 'join' }, id);
      ctx.stdout.write(`Joined (${id}).\n`);
      return;
    }
    case 'chat': {
      if (rest.length === 0) throw new UsageError(CHANNEL_USAGE);
      const channel = await findConversation(ctx, rest.join(' '), 'channel');
      return runChat(ctx, { conversationId: channel.id, title: `!${channel.title ?? channel.id}` });
    }
    case 'add':
    case 'remove':
    case 'promote':
    case 'demote': {
      const [channelName, ...members] = rest;
      if (!channelName || members.length === 0) throw new UsageError(CHANNEL_USAGE);
      const channel = await findConversation(ctx, channelName, 'channel');
      await changeGroup(ctx, { op: sub, members: stripAt(members) }, channel.id);
      ctx.stdout.write(
        `Done: ${sub} ${members.join(', ')} in !${sanitize(channel.title ?? '')}.\n`,
      );
      return;
    }
    case 'rename': {
      const [channelName, ...words] = rest;
      if (!channelName || words.length === 0) throw new UsageError(CHANNEL_USAGE);
      const channel = await findConversation(ctx, channelName, 'channel');
      const name = words.join(' ');
      await changeGroup(ctx, { op: 'rename', name }, channel.id);
      ctx.stdout.write(`Renamed to !${sanitize(name)}.\n`);
      return;
    }
    case 'leave': {
      if (rest.length === 0) throw new UsageError(CHANNEL_USAGE);
      const channel = await findConversation(ctx, rest.join(' '), 'channel');
      await changeGroup(ctx, { op: 'leave' }, channel.id);
      ctx.stdout.write(`You left !${sanitize(channel.title ?? '')}.\n`);
      return;
    }
    default:
      throw new UsageError(CHANNEL_USAGE);
  }
}

/** The public channels (narrowed by `q`), then the channels the user is in. */
async function listChannels(ctx: CommandContext, q: string): Promise<void> {
  requireCredentials(ctx);
  const [open, mine] = await Promise.all([
    ctx.api.channels(q || undefined),
    ctx.api.conversations(),
  ]);
  if (open.length === 0) ctx.stdout.write('No public channels yet: parley channel create <name>\n');
  for (const c of open) {
    const joined = c.joined ? ', joined' : '';
    ctx.stdout.write(`!${sanitize(c.name)}  (${c.memberCount} members${joined})  ${c.id}\n`);
  }
  const private_ = mine.filter((c) => c.kind === 'channel' && !c.public && c.active);
  for (const c of private_) {
    ctx.stdout.write(
      `!${sanitize(c.title ?? c.id)}  (private, ${c.memberCount} members)  ${c.id}\n`,
    );
  }
}

/** A public channel by id, or by exact name (case-insensitive) among the listed ones. */
async function publicChannelId(ctx: CommandContext, nameOrId: string): Promise<string> {
  if (conversationIdSchema.safeParse(nameOrId).success) return nameOrId;
  const wanted = nameOrId.replace(/^!/, '').toLowerCase();
  const found = (await ctx.api.channels(wanted)).filter((c) => c.name.toLowerCase() === wanted);
  if (found.length === 1) return found[0].id;
  if (found.length === 0) {
    throw new UsageError(`no public channel named ${nameOrId} (parley channel list)`);
  }
  throw new UsageError(
    `${found.length} channels are named ${nameOrId}: name one by id (${found.map((c) => c.id).join(', ')})`,
  );
}
