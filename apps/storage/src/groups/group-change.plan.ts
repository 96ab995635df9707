import type { GroupChange } from '@parley/common';
import {
  ANNOUNCEMENTS_CHANNEL_ID,
  CHANNEL_KIND,
  type ConversationEvent,
  DEFAULT_HISTORY_VISIBILITY,
  describeTimer,
  DISAPPEARING_TIMERS_S,
  GROUP_KIND,
  ErrorCode,
  type EventUser,
  type HistoryVisibility,
  type MemberRole,
} from '@parley/protocol';

/** A current member of a group as storage holds it, in joining order. */
export interface GroupMember {
  userId: string;
  /** The username it joined with (NULL for 1:1 members, which never reach this plan). */
  username: string | null;
  role: MemberRole;
}

/** The conversation a change applies to, read under its row lock. */
export interface GroupState {
  id: string;
  kind: string;
  title: string | null;
  /** What members added later may read. */
  history: HistoryVisibility;
  /** A channel anyone may join. */
  public: boolean;
  /** Disappearing messages: the timer in seconds, null when messages stay. */
  timer: number | null;
  /**
   * Current members (left_seq IS NULL), in joining order. For a channel only those the change
   * can concern (the actor, the users it names, the admins): a channel's membership is never
   * read whole.
   */
  members: GroupMember[];
}

export interface GroupRefusal {
  code: ErrorCode.Forbidden | ErrorCode.ValidationFailed;
  message: string;
}

/** What a change does to the group or channel, once decided. */
export interface GroupDecision {
  /**
   * The event it becomes, at the next seq; absent for a SILENT change (joining, leaving, adding
   * or removing in a channel): no seq, no message, only its origin is answered.
   */
  event?: ConversationEvent;
  /** The kind of conversation a create makes (set by the create ops only: it means "insert"). */
  kind?: typeof GROUP_KIND | typeof CHANNEL_KIND;
  /** A new channel's visibility. */
  public?: boolean;
  /** The group's new name (create, rename). */
  title?: string;
  /** The group's new history setting (create, history). */
  history?: HistoryVisibility;
  /** The conversation's new timer (timer; null: off). Absent: unchanged. */
  timer?: number | null;
  /**
   * Users who join (create, add), with their role; `fromEvent`: they read from this change's
   * event on (a group showing the history from joining), not from seq 1.
   */
  join: { user: EventUser; role: MemberRole; fromEvent: boolean }[];
  /** Members whose membership ends (leave, remove). */
  leave: string[];
  /** Members whose role changes (promote, demote, and the succession). */
  roles: { userId: string; role: MemberRole }[];
}

export type GroupPlan = { refused: GroupRefusal } | { decision: GroupDecision };

const forbidden = (message: string): GroupPlan => ({
  refused: { code: ErrorCode.Forbidden, message },
});
const invalid = (message: string): GroupPlan => ({
  refused: { code: ErrorCode.ValidationFailed, message },
});

/** A decision: the event and what it changes (no joins, leaves or role changes unless given). */
function decided(
  event: ConversationEvent | undefined,
  changes: Partial<Omit<GroupDecision, 'event'>> = {},
): GroupPlan {
  return {
    decision: { ...(event ? { event } : {}), join: [], leave: [], roles: [], ...changes },
  };
}

function uniqueUsers(users: readonly EventUser[]): EventUser[] {
  const seen = new Map<string, EventUser>();
  for (const u of users) if (!seen.has(u.id)) seen.set(u.id, u);
  return [...seen.values()];
}

/**
 * The member promoted when a change leaves the group without an admin: the longest-standing
 * remaining member (joining order) not being demoted. Undefined when an admin remains, or nobody
 * can be promoted.
 */
function successor(
  members: readonly GroupMember[],
  leaving: ReadonlySet<string>,
  demoted: ReadonlySet<string>,
): GroupMember | undefined {
  const remaining = members.filter((m) => !leaving.has(m.userId));
  if (remaining.some((m) => m.role === 'admin' && !demoted.has(m.userId))) return undefined;
  return remaining.find((m) => !demoted.has(m.userId));
}

const eventUser = (m: GroupMember): EventUser => ({ id: m.userId, username: m.username ?? '' });

/** The named users who are current members with `role`, each once, in the order named. */
function namedWithRole(state: GroupState, users: readonly EventUser[], role: MemberRole) {
  return uniqueUsers(users).filter((u) =>
    state.members.some((m) => m.userId === u.id && m.role === role),
  );
}

/** Makes the named members admins (in a group or a channel alike): the `promoted` event. */
function promotion(state: GroupState, users: readonly EventUser[]): GroupPlan {
  const promoted = namedWithRole(state, users, 'member');
  if (promoted.length === 0) return invalid('Nobody named is a member who is not an admin');
  return decided(
    { type: 'promoted', members: promoted },
    { roles: promoted.map((u) => ({ userId: u.id, role: 'admin' as const })) },
  );
}

/**
 * Decides a group change in the conversation's order (pure: the repository reads the state under
 * the conversation's row lock and applies the decision in the same transaction). The creator is
 * the first admin; only admins rename, set the history, add, remove, promote and demote; anyone
 * leaves; members added under `joined` read from the event that added them; a group
 * never loses its last admin (the longest-standing member is promoted). A change that would
 * change nothing is refused as invalid, so every stored event says something happened.
 */
export function planGroupChange(
  state: GroupState | null,
  actor: EventUser,
  change: GroupChange,
  maxMembers: number,
  timers: readonly number[] = DISAPPEARING_TIMERS_S,
): GroupPlan {
  if (change.op === 'timer') return planTimer(state, actor, change.seconds, timers);
  if (change.op === 'create') {
    if (state) return invalid('A conversation with this id already exists');
    const others = uniqueUsers(change.members).filter((u) => u.id !== actor.id);
    if (others.length === 0) return invalid('A group needs at least one other member');
    if (others.length + 1 > maxMembers) return invalid(`A group has at most ${maxMembers} members`);
    const history = change.history ?? DEFAULT_HISTORY_VISIBILITY;
    return decided(
      { type: 'created', name: change.name, members: others, history },
      {
        kind: GROUP_KIND,
        title: change.name,
        history,
        join: [
          { user: actor, role: 'admin', fromEvent: false },
          ...others.map((user) => ({ user, role: 'member' as const, fromEvent: false })),
        ],
      },
    );
  }
  if (change.op === 'create-channel') {
    if (state) return invalid('A conversation with this id already exists');
    const isPublic = change.public ?? true;
    return decided(
      { type: 'channel-created', name: change.name, public: isPublic },
      {
        kind: CHANNEL_KIND,
        title: change.name,
        history: 'all',
        public: isPublic,
        join: [{ user: actor, role: 'admin', fromEvent: false }],
      },
    );
  }
  if (state?.kind === CHANNEL_KIND) return planChannelChange(state, actor, change);
  if (change.op === 'join') return forbidden('No such public channel');
  if (!state || state.kind !== GROUP_KIND) return forbidden('Not a member of this group');
  const me = state.members.find((m) => m.userId === actor.id);
  if (!me) return forbidden('Not a member of this group');
  const memberIds = new Set(state.members.map((m) => m.userId));
  const requireAdmin = me.role === 'admin' ? null : forbidden('Only admins can do that');

  switch (change.op) {
    case 'leave': {
      const next = successor(state.members, new Set([actor.id]), new Set());
      return decided(
        { type: 'left', ...(next ? { promoted: eventUser(next) } : {}) },
        { leave: [actor.id], roles: next ? [{ userId: next.userId, role: 'admin' }] : [] },
      );
    }
    case 'rename':
      if (requireAdmin) return requireAdmin;
      if (state.title === change.name) return invalid('The group already has this name');
      return decided({ type: 'renamed', name: change.name }, { title: change.name });
    case 'history':
      if (requireAdmin) return requireAdmin;
      if (state.history === change.history) {
        return invalid('The group already shows new members this history');
      }
      return decided({ type: 'history', history: change.history }, { history: change.history });
    case 'add': {
      if (requireAdmin) return requireAdmin;
      const joining = uniqueUsers(change.members).filter((u) => !memberIds.has(u.id));
      if (joining.length === 0) return invalid('Everyone named is already a member');
      if (state.members.length + joining.length > maxMembers) {
        return invalid(`A group has at most ${maxMembers} members`);
      }
      return decided(
        { type: 'added', members: joining },
        {
          join: joining.map((user) => ({
            user,
            role: 'member' as const,
            fromEvent: state.history === 'joined',
          })),
        },
      );
    }
    case 'remove': {
      if (requireAdmin) return requireAdmin;
      if (change.members.some((u) => u.id === actor.id)) {
        return invalid('To remove yourself, leave the group');
      }
      const removed = uniqueUsers(change.members).filter((u) => memberIds.has(u.id));
      if (removed.length === 0) return invalid('Nobody named is a member');
      return decided({ type: 'removed', members: removed }, { leave: removed.map((u) => u.id) });
    }
    case 'promote':
      return requireAdmin ?? promotion(state, change.members);
    case 'demote': {
      if (requireAdmin) return requireAdmin;
      const demoted = namedWithRole(state, change.members, 'admin');
      if (demoted.length === 0) return invalid('Nobody named is an admin');
      const demotedIds = new Set(demoted.map((u) => u.id));
      const next = successor(state.members, new Set(), demotedIds);
      const adminLeft = state.members.some((m) => m.role === 'admin' && !demotedIds.has(m.userId));
      if (!adminLeft && !next) return invalid('A group needs an admin');
      const roles = demoted.map((u) => ({ userId: u.id, role: 'member' as const }));
      return decided(
        { type: 'demoted', members: demoted, ...(next ? { promoted: eventUser(next) } : {}) },
        { roles: next ? [...roles, { userId: next.userId, role: 'admin' }] : roles },
      );
    }
  }
}

/**
 * Disappearing messages on or off: in a 1:1 conversation either member, in a group or a channel
 * its admins; only the offered timers. The event takes the next seq and applies to what is
 * stored after it.
 */
function planTimer(
  state: GroupState | null,
  actor: EventUser,
  seconds: number | null,
  timers: readonly number[],
): GroupPlan {
  const me = state?.members.find((m) => m.userId === actor.id);
  if (!state || !me) return forbidden('Not a member of this conversation');
  if (state.kind !== 'direct' && me.role !== 'admin') return forbidden('Only admins can do that');
  if (seconds !== null && !timers.includes(seconds)) {
    return invalid(`Messages can disappear after ${timers.map(describeTimer).join(', ')}`);
  }
  if (state.timer === seconds) return invalid('The conversation already has this timer');
  return decided({ type: 'timer', seconds }, { timer: seconds });
}

/**
 * A change to a channel: admins post, rename, add, remove, promote and demote; anyone joins a
 * public channel; members leave. Joining, leaving, adding and removing are silent (no event, no
 * seq: a channel is not a log of who came and went). A channel never loses its last admin, and
 * the announcements channel's membership and admins are the server's (everyone; the configured
 * operators), so only a rename changes it.
 */
function planChannelChange(
  state: GroupState,
  actor: EventUser,
  change: Exclude<GroupChange, { op: 'timer' }>,
): GroupPlan {
  const me = state.members.find((m) => m.userId === actor.id);
  const announcements = state.id === ANNOUNCEMENTS_CHANNEL_ID;
  const serverOwned = invalid(
    "The announcements channel's members and admins are set by the server's operators",
  );
  const silently = (changes: Partial<Omit<GroupDecision, 'event'>>) => decided(undefined, changes);
  if (change.op === 'join') {
    if (announcements) return invalid('Everyone is in the announcements channel already');
    if (me) return silently({}); // joined already: a retry, answered the same
    if (!state.public) return forbidden('No such public channel');
    return silently({ join: [{ user: actor, role: 'member', fromEvent: false }] });
  }
  if (!me) return forbidden('Not a member of this channel');
  const admins = state.members.filter((m) => m.role === 'admin');
  const memberIds = new Set(state.members.map((m) => m.userId));
  const requireAdmin = me.role === 'admin' ? null : forbidden('Only admins can do that');
  switch (change.op) {
    case 'create':
    case 'create-channel':
      return invalid('A conversation with this id already exists');
    case 'leave':
      if (announcements) return invalid('Nobody leaves the announcements channel');
      if (me.role === 'admin' && admins.length === 1) {
        return invalid('A channel needs an admin: make someone else an admin before leaving');
      }
      return silently({ leave: [actor.id] });
    case 'history':
      return invalid('A channel shows its whole history to every member');
    case 'rename':
      if (requireAdmin) return requireAdmin;
      if (state.title === change.name) return invalid('The channel already has this name');
      return decided({ type: 'renamed', name: change.name }, { title: change.name });
    case 'add': {
      if (requireAdmin) return requireAdmin;
      if (announcements) return serverOwned;
      const joining = uniqueUsers(change.members).filter((u) => !memberIds.has(u.id));
      if (joining.length === 0) return invalid('Everyone named is already a member');
      return silently({
        join: joining.map((user) => ({ user, role: 'member' as const, fromEvent: false })),
      });
    }
    case 'remove': {
      if (requireAdmin) return requireAdmin;
      if (announcements) return serverOwned;
      if (change.members.some((u) => u.id === actor.id)) {
        return invalid('To remove yourself, leave the channel');
      }
      const removed = uniqueUsers(change.members).filter((u) => memberIds.has(u.id));
      if (removed.length === 0) return invalid('Nobody named is a member');
      return silently({ leave: removed.map((u) => u.id) });
    }
    case 'promote':
      if (requireAdmin) return requireAdmin;
      return announcements ? serverOwned : promotion(state, change.members);
    case 'demote': {
      if (requireAdmin) return requireAdmin;
      if (announcements) return serverOwned;
      const demoted = namedWithRole(state, change.members, 'admin');
      if (demoted.length === 0) return invalid('Nobody named is an admin');
      if (demoted.length === admins.length) return invalid('A channel needs an admin');
      return decided(
        { type: 'demoted', members: demoted },
        { roles: demoted.map((u) => ({ userId: u.id, role: 'member' as const })) },
      );
    }
  }
}
