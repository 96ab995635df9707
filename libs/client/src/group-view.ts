import type { ConversationView, DeliveredMessage, EventUser } from '@parley/protocol';

type Member = ConversationView['members'][number];

/**
 * A conversation list entry after one membership event of it (`message.event`): its name, and
 * for a group its history setting, its members (and their count) and roles, and whether the
 * viewer is still a member, as a screen shows them live until it reads the list again (the list
 * is the authority: it also brings the receipt cursors of members added since, which start here
 * at 0). Pure. A message without an event, of another conversation, or not newer than the entry
 * (`seq` not above its `lastSeq`: the list already reflects it) changes nothing, nor does an
 * event type this client does not know; the caller moves `lastSeq` itself.
 */
export function applyConversationEvent(
  view: ConversationView,
  message: DeliveredMessage,
  myUserId: string,
): ConversationView {
  const event = message.event;
  if (!event || message.conversationId !== view.id || message.seq <= view.lastSeq) return view;
  if (event.type === 'renamed') return { ...view, title: event.name };
  if (event.type === 'timer') return { ...view, timer: event.seconds };
  // Only a group lists all its members (a channel lists its admins): the list says the rest.
  if (view.kind !== 'group') return view;
  const actor = { id: message.senderId, username: message.senderUsername };
  switch (event.type) {
    case 'created':
      return {
        ...view,
        title: event.name,
        history: event.history ?? 'joined',
        ...withMembers(join([{ ...newMember(actor), role: 'admin' }], event.members)),
      };
    case 'history':
      return { ...view, history: event.history };
    case 'added':
      return {
        ...view,
        ...withMembers(join(view.members, event.members)),
        active: view.active || named(event.members, myUserId),
      };
    case 'removed':
      return {
        ...view,
        ...withMembers(promote(without(view.members, event.members), event.promoted)),
        active: view.active && !named(event.members, myUserId),
      };
    case 'left':
      return {
        ...view,
        ...withMembers(promote(without(view.members, [actor]), event.promoted)),
        active: view.active && actor.id !== myUserId,
      };
    case 'promoted':
      return { ...view, members: withRole(view.members, event.members, 'admin') };
    case 'demoted':
      return {
        ...view,
        members: promote(withRole(view.members, event.members, 'member'), event.promoted),
      };
    default:
      return view;
  }
}

/** A group's members, and their count. */
function withMembers(members: Member[]): Pick<ConversationView, 'members' | 'memberCount'> {
  return { members, memberCount: members.length };
}

function newMember(user: EventUser): Member {
  return { id: user.id, username: user.username, role: 'member', deliveredSeq: 0, readSeq: 0 };
}

function named(users: readonly EventUser[], userId: string): boolean {
  return users.some((u) => u.id === userId);
}

/** `members` with `users` added at the end (joining order), each once. */
function join(members: readonly Member[], users: readonly EventUser[]): Member[] {
  const joined = [...members];
  for (const user of users) if (!named(joined, user.id)) joined.push(newMember(user));
  return joined;
}

function without(members: readonly Member[], users: readonly EventUser[]): Member[] {
  return members.filter((m) => !named(users, m.id));
}

function withRole(
  members: readonly Member[],
  users: readonly EventUser[],
  role: Member['role'],
): Member[] {
  return members.map((m) => (named(users, m.id) ? { ...m, role } : m));
}

/** The member made admin because the group had no admin left (`promoted` on the event). */
function promote(members: Member[], promoted: EventUser | undefined): Member[] {
  return promoted ? withRole(members, [promoted], 'admin') : members;
}
