import type { ConversationView } from '@parley/protocol';
import {
  presencePeers,
  renderConversationLine,
  sortConversations,
} from '../chat/conversation-list';
import { CommandContext, requireCredentials } from './command-context';

export async function chatsCommand(ctx: CommandContext): Promise<void> {
  const credentials = requireCredentials(ctx);
  const conversations = sortConversations(await ctx.api.conversations());
  if (conversations.length === 0) {
    ctx.stdout.write('No conversations yet: parley chat <username>\n');
    return;
  }
  const online = await onlinePeers(ctx, conversations, credentials.userId);
  const width = ctx.stdout.columns || Number(ctx.env.COLUMNS) || 100;
  for (const c of conversations)
    ctx.stdout.write(
      `${renderConversationLine(c, credentials.userId, width, undefined, online)}\n`,
    );
}

/**
 * Which 1:1 peers of the list are online, as this user may see them: one read of their presence
 * (the list is printed once, so nothing is watched). Without an answer the list shows nobody
 * online rather than failing.
 */
async function onlinePeers(
  ctx: CommandContext,
  conversations: readonly ConversationView[],
  myUserId: string,
): Promise<Set<string>> {
  const peers = presencePeers(conversations, myUserId);
  if (peers.length === 0) return new Set();
  try {
    const { users } = await ctx.api.presence(peers);
    return new Set(users.filter((u) => u.online === true).map((u) => u.userId));
  } catch {
    return new Set();
  }
}
