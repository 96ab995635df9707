import type { ConversationView, DeliveredMessage } from '@parley/protocol';
import type { ChatStore } from '../chat-store';
import { isChannel } from '../conversation-roles';
import { clockTime } from '../text/days';

/** A group's (or channel's) name; for a 1:1 conversation, the other member's username. */
export function conversationTitle(c: ConversationView, myUserId: string): string {
  if (c.kind !== 'direct') return c.title ?? (isChannel(c) ? 'Channel' : 'Group');
  const others = c.members.filter((m) => m.id !== myUserId).map((m) => m.username);
  return others.length > 0 ? others.join(', ') : (c.members[0]?.username ?? 'Conversation');
}

/**
 * A channel's mark before its name ("#", as the list and the header show it); read out as
 * "channel" by the labels instead.
 */
export function ChannelMark() {
  return (
    <span class="channel-mark" aria-hidden="true" title="Channel">
      #
    </span>
  );
}

/**
 * Newest first, with unread badges and the last message's preview; channels marked "#", and a dot
 * before a 1:1 chat whose other member is online.
 */
export function ConversationList({
  chat,
  conversations,
  openId,
  online,
}: {
  chat: ChatStore;
  conversations: ConversationView[];
  openId?: string;
  online: ReadonlySet<string>;
}) {
  if (conversations.length === 0) {
    return <p class="empty">No conversations yet: find someone above.</p>;
  }
  return (
    <ul class="conversations" aria-label="Conversations">
      {conversations.map((c) => {
        const title = conversationTitle(c, chat.me.userId);
        const channel = isChannel(c);
        const here = online.has(c.id);
        return (
          <li key={c.id}>
            <button
              type="button"
              class={c.id === openId ? 'conversation open' : 'conversation'}
              aria-current={c.id === openId ? 'true' : undefined}
              aria-label={`${title}${channel ? ', channel' : ''}${c.unread > 0 ? `, ${c.unread} unread` : ''}${here ? ', online' : ''}`}
              onClick={() => chat.open(c.id)}
            >
              <span class="title">
                {channel && <ChannelMark />}
                {here && <span class="online-dot" aria-hidden="true" title="online" />}
                {title}
              </span>
              {c.unread > 0 && (
                <span class="badge" aria-hidden="true">
                  {c.unread}
                </span>
              )}
              <span class="preview">
                {c.lastMessage ? preview(c.lastMessage, chat.me.userId) : ''}
              </span>
              <span class="time">{c.lastMessage ? clockTime(c.lastMessage.serverTime) : ''}</span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/**
 * The last message, after its sender's name (an image as "Image: caption"); a membership event
 * says itself ("bob left").
 */
function preview(message: DeliveredMessage, myUserId: string): string {
  if (message.event) return message.text;
  const expired =
    message.expired === true ||
    (message.expiresAt !== undefined && Date.parse(message.expiresAt) <= Date.now());
  if (expired) return 'Message disappeared';
  const body = message.image ? `Image${message.text ? `: ${message.text}` : ''}` : message.text;
  return `${message.senderId === myUserId ? 'You' : message.senderUsername}: ${body}`;
}
