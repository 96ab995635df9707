import {
  ANNOUNCEMENTS_CHANNEL_ID,
  channelsQuerySchema,
  type ConversationView as Conversation,
} from '@parley/protocol';

/**
 * The channel search's `q`: the text trimmed (absent when empty: every public channel, the most
 * members first), or what is wrong with it in words (the server takes at most 64 characters).
 */
export function channelQuery(text: string): { q?: string } | { problem: string } {
  const parsed = channelsQuerySchema.safeParse({ q: text });
  if (!parsed.success) return { problem: 'Search by at most 64 characters of a name.' };
  return parsed.data.q ? { q: parsed.data.q } : {};
}

/** "1 member", "1,204 members". */
export function membersText(count: number): string {
  return count === 1 ? '1 member' : `${count.toLocaleString('en')} members`;
}

/** A channel's admins among its members: "1 admin of 1,204 members". */
export function adminsText(admins: number, members: number): string {
  return `${admins === 1 ? '1 admin' : `${admins} admins`} of ${membersText(members)}`;
}

/** A channel's line under its name: what kind it is and how many follow it. */
export function channelSubtitle(channel: Conversation): string {
  const kind =
    channel.id === ANNOUNCEMENTS_CHANNEL_ID
      ? 'Announcements'
      : channel.public
        ? 'Public channel'
        : 'Private channel';
  return `${kind} · ${membersText(channel.memberCount)}`;
}
