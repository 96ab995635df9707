import type { GroupChange } from '@parley/common';
import {
  type ConversationEvent,
  DEFAULT_HISTORY_VISIBILITY,
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
  kind: string;
  title: string | null;
  /** What members added later may read. */
  history: HistoryVisibility;
  /** Current members (left_seq IS NULL), in joining order. */
  members: GroupMember[];
}

export interface GroupRefusal {
  code: ErrorCode.Forbidden | ErrorCode.ValidationFailed;
  message: string;
}

/** What a change does to the group, once decided. */
export interface GroupDecision {
  event: ConversationEvent;
  /** The group's new name (create, rename). */
  title?: string;
  /** The group's new history setting (create, history). */
  history?: HistoryVisibility;
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
): GroupPlan {
  if (change.op === 'create') {
    if (state) return invalid('A conversation with this id already exists');
    const others = uniqueUsers(change.members).filter((u) => u.id !== actor.id);
    if (others.length === 0) return invalid('A group needs at least one other member');
    if (others.length + 1 > maxMembers) return invalid(`A group has at most ${maxMembers} members`);
    const history = change.history ?? DEFAULT_HISTORY_VISIBILITY;
    return {
      decision: {
        event: { type: 'created', name: change.name, members: others, history },
        title: change.name,
        history,
        join: [
          { user: actor, role: 'admin', fromEvent: false },
          ...others.map((user) => ({ user, role: 'member' as const, fromEvent: false })),
        ],
        leave: [],
        roles: [],
      },
    };
  }
  if (!state || state.kind !== 'group') return forbidden('Not a member of this group');
  const me = state.members.find((m) => m.userId === actor.id);
  if (!me) return forbidden('Not a member of this group');
  const memberIds = new Set(state.members.map((m) => m.userId));
  const requireAdmin = me.role === 'admin' ? null : forbidden('Only admins can do that');

  switch (change.op) {
    case 'leave': {
      const next = successor(state.members, new Set([actor.id]), new Set());
      return {
        decision: {
          event: { type: 'left', ...(next ? { promoted: eventUser(next) } : {}) },
          join: [],
          leave: [actor.id],
          roles: next ? [{ userId: next.userId, role: 'admin' }] : [],
        },
      };
    }
    case 'rename':
      if (requireAdmin) return requireAdmin;
      if (state.title === change.name) return invalid('The group already has this name');
      return {
        decision: {
          event: { type: 'renamed', name: change.name },
          title: change.name,
          join: [],
          leave: [],
          roles: [],
        },
      };
    case 'history':
      if (requireAdmin) return requireAdmin;
      if (state.history === change.history) {
        return invalid('The group already shows new members this history');
      }
      return {
        decision: {
          event: { type: 'history', history: change.history },
          history: change.history,
          join: [],
          leave: [],
          roles: [],
        },
      };
    case 'add': {
      if (requireAdmin) return requireAdmin;
      const joining = uniqueUsers(change.members).filter((u) => !memberIds.has(u.id));
      if (joining.length === 0) return invalid('Everyone named is already a member');
      if (state.members.length + joining.length > maxMembers) {
        return invalid(`A group has at most ${maxMembers} members`);
      }
      return {
        decision: {
          event: { type: 'added', members: joining },
          join: joining.map((user) => ({
            user,
            role: 'member' as const,
            fromEvent: state.history === 'joined',
          })),
          leave: [],
          roles: [],
        },
      };
    }
    case 'remove': {
      if (requireAdmin) return requireAdmin;
      if (change.members.some((u) => u.id === actor.id)) {
        return invalid('To remove yourself, leave the group');
      }
      const removed = uniqueUsers(change.members).filter((u) => memberIds.has(u.id));
      if (removed.length === 0) return invalid('Nobody named is a member');
      return {
        decision: {
          event: { type: 'removed', members: removed },
          join: [],
          leave: removed.map((u) => u.id),
          roles: [],
        },
      };
    }
    case 'promote': {
      if (requireAdmin) return requireAdmin;
      const promoted = uniqueUsers(change.members).filter((u) =>
        state.members.some((m) => m.userId === u.id && m.role === 'member'),
      );
      if (promoted.length === 0) return invalid('Nobody named is a member who is not an admin');
      return {
        decision: {
          event: { type: 'promoted', members: promoted },
          join: [],
          leave: [],
          roles: promoted.map((u) => ({ userId: u.id, role: 'admin' as const })),
        },
      };
    }
    case 'demote': {
      if (requireAdmin) return requireAdmin;
      const demoted = uniqueUsers(change.members).filter((u) =>
        state.members.some((m) => m.userId === u.id && m.role === 'admin'),
      );
      if (demoted.length === 0) return invalid('Nobody named is an admin');
      const demotedIds = new Set(demoted.map((u) => u.id));
      const next = successor(state.members, new Set(), demotedIds);
      const adminLeft = state.members.some((m) => m.role === 'admin' && !demotedIds.has(m.userId));
      if (!adminLeft && !next) return invalid('A group needs an admin');
      const roles = demoted.map((u) => ({ userId: u.id, role: 'member' as const }));
      return {
        decision: {
          event: {
            type: 'demoted',
            members: demoted,
            ...(next ? { promoted: eventUser(next) } : {}),
          },
          join: [],
          leave: [],
          roles: next ? [...roles, { userId: next.userId, role: 'admin' }] : roles,
        },
      };
    }
  }
}
