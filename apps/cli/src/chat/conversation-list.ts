import type { ConversationView } from '@parley/protocol';
import { formatTime, sanitize } from './message-line';

/** Newest activity first; conversations without messages last. */
export function sortConversations(list: ConversationView[]): ConversationView[] {
  const when = (c: ConversationView) => c.lastMessage?.serverTime ?? '';
  return [...list].sort((a, b) => when(b).localeCompare(when(a)));
}

/**
 * A group's name (marked `#`, and `(left)` once the user is no longer in it), a channel's (marked
 * `!`); for a 1:1 the other member's name (a chat with oneself shows oneself).
 */
export function conversationTitle(c: ConversationView, myUserId: string): string {
  const left = c.active ? '' : ' (left)';
  if (c.kind === 'group') return `#${c.title ?? c.id}${left}`;
  if (c.kind === 'channel') return `!${c.title ?? c.id}${left}`;
  const others = c.members.filter((m) => m.id !== myUserId).map((m) => m.username);
  return others.length > 0 ? others.join(', ') : (c.members[0]?.username ?? c.id);
}

/** `bob  (2 unread)  12:01 bob: see you` clipped to the width. */
export function renderConversationLine(
  c: ConversationView,
  myUserId: string,
  width = 80,
  now?: Date,
): string {
  const unread = c.unread > 0 ? `  (${c.unread} unread)` : '';
  const last = c.lastMessage
    ? `  ${formatTime(c.lastMessage.serverTime, now)} ${sanitize(c.lastMessage.senderUsername)}: ${sanitize(c.lastMessage.text)}`
    : '  (no messages)';
  const line = `${sanitize(conversationTitle(c, myUserId))}${unread}${last}`;
  const chars = [...line];
  return chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : line;
}
