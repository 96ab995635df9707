import { imageLabel } from './chat-images';
import { type ConversationView, PRESENCE_WATCH_MAX } from '@parley/protocol';
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

/** The other member of a 1:1 one is still in (undefined for groups, channels, a chat with oneself). */
export function directPeerId(c: ConversationView, myUserId: string): string | undefined {
  if (c.kind !== 'direct' || !c.active) return undefined;
  return c.members.find((m) => m.id !== myUserId)?.id;
}

/** The 1:1 peers of a list, in its order, once each: at most PRESENCE_WATCH_MAX (the first ones). */
export function presencePeers(list: readonly ConversationView[], myUserId: string): string[] {
  const peers = new Set<string>();
  for (const c of list) {
    const peer = directPeerId(c, myUserId);
    if (peer) peers.add(peer);
    if (peers.size === PRESENCE_WATCH_MAX) break;
  }
  return [...peers];
}

/**
 * `bob · online  (2 unread)  12:01 bob: see you` clipped to the width (`· online` when the 1:1
 * peer is among `online`).
 */
export function renderConversationLine(
  c: ConversationView,
  myUserId: string,
  width = 80,
  now?: Date,
  online: ReadonlySet<string> = new Set(),
): string {
  const peer = directPeerId(c, myUserId);
  const presence = peer !== undefined && online.has(peer) ? ' · online' : '';
  const unread = c.unread > 0 ? `  (${c.unread} unread)` : '';
  const last = c.lastMessage
    ? `  ${formatTime(c.lastMessage.serverTime, now)} ${sanitize(c.lastMessage.senderUsername)}: ${c.lastMessage.image ? `${imageLabel(c.lastMessage.image)} ` : ''}${sanitize(c.lastMessage.text)}`
    : '  (no messages)';
  const line = `${sanitize(conversationTitle(c, myUserId))}${presence}${unread}${last}`;
  const chars = [...line];
  return chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : line;
}
