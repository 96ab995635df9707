import { GroupChangeError, type ParleyClient } from '@parley/client';
import {
  type ConversationView,
  type GroupChangeRequest,
  type HistoryVisibility,
  historyVisibilitySchema,
} from '@parley/protocol';
import { GROUP_COMMANDS_HELP } from '../chat/chat-controller';
import { sanitize } from '../chat/message-line';
import { runChat } from './chat.command';
import { CommandContext, requireCredentials, UsageError } from './command-context';
import { deviceClient } from './device-client';

export const GROUP_USAGE = `usage:
  parley group list
  parley group create [--history joined|all] <name> <user>…
  parley group chat <group>
  parley group members <group>
  parley group add|remove|promote|demote <group> <user>…
  parley group rename <group> <new name>
  parley group history <group> joined|all
  parley group leave <group>
(<group> is the group's name or id; members added later read the history from when they join
(joined, the default) or all of it (all); in a group chat, ${GROUP_COMMANDS_HELP})`;

/** How long a one-shot group change waits for the connection and the answer. */
const CHANGE_TIMEOUT_MS = 15_000;

/** `parley group …`: create and manage groups, and chat in one. */
export async function groupCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case undefined:
    case 'list':
      return listGroups(ctx);
    case 'create': {
      let history: HistoryVisibility | undefined;
      if (rest[0] === '--history') {
        history = historyOf(rest[1]);
        rest.splice(0, 2);
      }
      const [name, ...members] = rest;
      if (!name || members.length === 0) throw new UsageError(GROUP_USAGE);
      const ack = await changeGroup(ctx, {
        op: 'create',
        name,
        members: stripAt(members),
        ...(history ? { history } : {}),
      });
      ctx.stdout.write(`Created #${sanitize(name)} (${ack.conversationId}).\n`);
      return;
    }
    case 'chat': {
      if (rest.length !== 1) throw new UsageError(GROUP_USAGE);
      const group = await findGroup(ctx, rest[0]);
      return runChat(ctx, { conversationId: group.id, title: group.title ?? group.id });
    }
    case 'members': {
      if (rest.length !== 1) throw new UsageError(GROUP_USAGE);
      const group = await findGroup(ctx, rest[0]);
      for (const m of group.members)
        ctx.stdout.write(`${sanitize(m.username)}${m.role === 'admin' ? ' (admin)' : ''}\n`);
      return;
    }
    case 'add':
    case 'remove':
    case 'promote':
    case 'demote': {
      const [groupName, ...members] = rest;
      if (!groupName || members.length === 0) throw new UsageError(GROUP_USAGE);
      const group = await findGroup(ctx, groupName);
      await changeGroup(ctx, { op: sub, members: stripAt(members) }, group.id);
      ctx.stdout.write(`Done: ${sub} ${members.join(', ')} in #${sanitize(group.title ?? '')}.\n`);
      return;
    }
    case 'rename': {
      const [groupName, ...words] = rest;
      if (!groupName || words.length === 0) throw new UsageError(GROUP_USAGE);
      const group = await findGroup(ctx, groupName);
      const name = words.join(' ');
      await changeGroup(ctx, { op: 'rename', name }, group.id);
      ctx.stdout.write(`Renamed to #${sanitize(name)}.\n`);
      return;
    }
    case 'history': {
      const [groupName, setting, ...extra] = rest;
      if (!groupName || extra.length > 0) throw new UsageError(GROUP_USAGE);
      const history = historyOf(setting);
      const group = await findGroup(ctx, groupName);
      await changeGroup(ctx, { op: 'history', history }, group.id);
      ctx.stdout.write(
        history === 'all'
          ? `Members added to #${sanitize(group.title ?? '')} from now on read the whole history.\n`
          : `Members added to #${sanitize(group.title ?? '')} from now on read from when they join.\n`,
      );
      return;
    }
    case 'leave': {
      if (rest.length !== 1) throw new UsageError(GROUP_USAGE);
      const group = await findGroup(ctx, rest[0]);
      await changeGroup(ctx, { op: 'leave' }, group.id);
      ctx.stdout.write(`You left #${sanitize(group.title ?? '')}.\n`);
      return;
    }
    default:
      throw new UsageError(GROUP_USAGE);
  }
}

async function listGroups(ctx: CommandContext): Promise<void> {
  requireCredentials(ctx);
  const groups = (await ctx.api.conversations()).filter((c) => c.kind === 'group');
  if (groups.length === 0) {
    ctx.stdout.write('No groups yet: parley group create <name> <user>…\n');
    return;
  }
  for (const g of groups) {
    const state = g.active ? `${g.members.length} members` : 'left';
    ctx.stdout.write(`#${sanitize(g.title ?? g.id)}  (${state})  ${g.id}\n`);
  }
}

/** A group of the user's by id, or by name (case-insensitive; active ones first). */
function findGroup(ctx: CommandContext, nameOrId: string): Promise<ConversationView> {
  return findConversation(ctx, nameOrId, 'group');
}

/** A group or channel of the user's by id, or by name (case-insensitive; active ones first). */
export async function findConversation(
  ctx: CommandContext,
  nameOrId: string,
  kind: 'group' | 'channel',
): Promise<ConversationView> {
  requireCredentials(ctx);
  const mine = (await ctx.api.conversations()).filter((c) => c.kind === kind);
  const byId = mine.find((g) => g.id === nameOrId);
  if (byId) return byId;
  const wanted = nameOrId.replace(/^[#!]/, '').toLowerCase();
  const named = mine.filter((g) => g.title?.toLowerCase() === wanted);
  const active = named.filter((g) => g.active);
  const found = active.length > 0 ? active : named;
  if (found.length === 1) return found[0];
  if (found.length === 0)
    throw new UsageError(`no ${kind} named ${nameOrId} (parley ${kind} list)`);
  throw new UsageError(
    `${found.length} ${kind}s are named ${nameOrId}: name one by id (${found.map((g) => g.id).join(', ')})`,
  );
}

function historyOf(setting: string | undefined): HistoryVisibility {
  const parsed = historyVisibilitySchema.safeParse(setting);
  if (!parsed.success) throw new UsageError(`history is joined or all\n${GROUP_USAGE}`);
  return parsed.data;
}

export function stripAt(names: readonly string[]): string[] {
  return names.map((n) => n.replace(/^@/, ''));
}

/** Connects this device, makes the change, waits for its answer, disconnects. */
export async function changeGroup(
  ctx: CommandContext,
  change: GroupChangeRequest,
  conversationId?: string,
): Promise<{ conversationId: string }> {
  const client = deviceClient(ctx, requireCredentials(ctx));
  try {
    await online(client);
    return await client.changeGroup(change, conversationId);
  } catch (err) {
    if (err instanceof GroupChangeError) {
      throw new UsageError(`${change.op} refused: ${sanitize(err.message)} (${err.code})`);
    }
    throw err;
  } finally {
    await client.flush();
    client.stop();
  }
}

function online(client: ParleyClient): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new UsageError('could not connect to the server')),
      CHANGE_TIMEOUT_MS,
    );
    client.events.on('hello', () => {
      clearTimeout(timer);
      resolve();
    });
    client.start().catch((err: unknown) => {
      clearTimeout(timer);
      reject(err instanceof Error ? err : new Error(String(err)));
    });
  });
}
