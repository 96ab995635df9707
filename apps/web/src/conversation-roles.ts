import {
  ANNOUNCEMENTS_CHANNEL_ID,
  CHANNEL_KIND,
  type ConversationView as Conversation,
} from '@parley/protocol';

/** A broadcast channel: only its admins post, its members read, and it has no read receipts. */
export function isChannel(conversation: Conversation): boolean {
  return conversation.kind === CHANNEL_KIND;
}

/**
 * This user is a current admin of the conversation. A channel lists only its admins as
 * `members`, so being listed there with role `admin` is what says it.
 */
export function isAdmin(conversation: Conversation, myUserId: string): boolean {
  return (
    conversation.active && conversation.members.some((m) => m.id === myUserId && m.role === 'admin')
  );
}

/** Nobody leaves the announcements channel (the server refuses it): the page does not offer it. */
export function canLeave(conversation: Conversation): boolean {
  return conversation.active && conversation.id !== ANNOUNCEMENTS_CHANNEL_ID;
}

/**
 * What stands where the composer is: the composer (a member of a 1:1 chat or group, a channel's
 * admin); for a channel's other members a read-only line (and Leave, but in the announcements
 * channel), since the server refuses their posts; once the membership ended, a line saying so
 * (and Join again, for a public channel).
 */
export type ComposerMode =
  | { kind: 'write' }
  | { kind: 'read-only'; canLeave: boolean }
  | { kind: 'ended'; canJoin: boolean };

export function composerMode(conversation: Conversation, myUserId: string): ComposerMode {
  const channel = isChannel(conversation);
  if (!conversation.active) return { kind: 'ended', canJoin: channel && conversation.public };
  if (channel && !isAdmin(conversation, myUserId)) {
    return { kind: 'read-only', canLeave: canLeave(conversation) };
  }
  return { kind: 'write' };
}
