import { renderConversationLine, sortConversations } from '../chat/conversation-list';
import { CommandContext, requireCredentials } from './command-context';

export async function chatsCommand(ctx: CommandContext): Promise<void> {
  const credentials = requireCredentials(ctx);
  const conversations = sortConversations(await ctx.api.conversations());
  if (conversations.length === 0) {
    ctx.stdout.write('No conversations yet: parley chat <username>\n');
    return;
  }
  const width = ctx.stdout.columns || Number(ctx.env.COLUMNS) || 100;
  for (const c of conversations)
    ctx.stdout.write(`${renderConversationLine(c, credentials.userId, width)}\n`);
}
