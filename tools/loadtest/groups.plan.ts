/**
 * The `groups` workload's layout and arithmetic (pure: unit-tested). G groups (or channels) of S
 * members each, over G x S test users: group g holds users g*S .. g*S+S-1 (member 0 creates it
 * and is its admin). The first `online` members of each group hold a socket during the run; the
 * others stay offline (they only exist). Senders are the first `senders` online members of each
 * group: every online member in a group, the admins in a channel.
 */
export type GroupKind = 'group' | 'channel';

export interface GroupsLayout {
  kind: GroupKind;
  groups: number;
  /** Members per group (S). */
  members: number;
  /** Online members per group (sockets), at most S. */
  online: number;
  /** Online members per group who send: all online ones in a group, the admins in a channel. */
  senders: number;
  /** Admins per channel (the creator and the next admins-1 members); 1 for a group. */
  admins: number;
}

/** A group's members per frame: the protocol takes at most 1,024 usernames per change. */
export const MEMBERS_PER_FRAME = 1000;
/** The protocol's ceiling on a group's members (libs/protocol GROUP_MAX_MEMBERS). */
export const GROUP_MEMBER_LIMIT = 1024;

export function planGroups(options: {
  kind: GroupKind;
  groups: number;
  members: number;
  online?: number;
  admins?: number;
}): GroupsLayout {
  const { kind, groups, members } = options;
  if (!Number.isInteger(groups) || groups < 1) throw new Error('--groups must be at least 1');
  if (!Number.isInteger(members) || members < 2) throw new Error('--members must be at least 2');
  if (kind === 'group' && members > GROUP_MEMBER_LIMIT)
    throw new Error(`a group has at most ${GROUP_MEMBER_LIMIT} members (use --kind channel)`);
  const online = Math.min(options.online ?? members, members);
  if (!Number.isInteger(online) || online < 2)
    throw new Error('--online must be at least 2 (a sender and a recipient)');
  const admins = kind === 'channel' ? (options.admins ?? 1) : 1;
  if (!Number.isInteger(admins) || admins < 1 || admins >= online)
    throw new Error('--admins must be at least 1 and below --online (someone must read)');
  return { kind, groups, members, online, senders: kind === 'channel' ? admins : online, admins };
}

/** Global user index n (lt_<prefix>_<n>) of member m of group g. */
export function memberUser(layout: GroupsLayout, group: number, member: number): number {
  return group * layout.members + member;
}

/** Whether global user n holds a socket during the run. */
export function isOnlineUser(layout: GroupsLayout, user: number): boolean {
  return user % layout.members < layout.online;
}

/** The online users, group by group: position p is member p % online of group floor(p / online). */
export function onlineUsers(layout: GroupsLayout): number[] {
  const users: number[] = [];
  for (let g = 0; g < layout.groups; g++)
    for (let m = 0; m < layout.online; m++) users.push(memberUser(layout, g, m));
  return users;
}

/** The group of online position p, and whether it sends. */
export function positionOf(
  layout: Pick<GroupsLayout, 'online' | 'senders'>,
  position: number,
): { group: number; member: number; sender: boolean } {
  const member = position % layout.online;
  return { group: Math.floor(position / layout.online), member, sender: member < layout.senders };
}

/**
 * Each worker's share of the offered rate: worker w owns online positions p with p mod W = w
 * (WorkerPool), and sends from the senders among them, so its share is its senders over all
 * senders. A channel with one admin is sent to by one worker only.
 */
export function senderShares(layout: GroupsLayout, workers: number): number[] {
  const counts = new Array<number>(workers).fill(0);
  const positions = layout.groups * layout.online;
  for (let p = 0; p < positions; p++) if (positionOf(layout, p).sender) counts[p % workers]++;
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}

/** The name of group g of a run: found again by the next run with the same prefix and layout. */
export function groupTitle(prefix: string, layout: GroupsLayout, group: number): string {
  return `lt ${prefix} ${layout.kind} ${layout.members} #${group}`;
}

/** Splits a list into chunks of at most `size` (the members of `add` frames). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface DeliveryTally {
  /** Σ over acked messages of the online members of its group but the sender. */
  expected: number;
  /** First deliveries to a socket, of every message of the step (acked or not). */
  received: number;
  /** Σ over acked messages of the recipients that did not get it. */
  lost: number;
  /** Acked messages that at least one expected recipient did not get. */
  lostMessages: number;
}

/**
 * Expected against received deliveries. `acked` are the step's acked messages with their group;
 * `onlineByGroup` the sockets open per group at the step's start (the sender's among them);
 * `received` the first deliveries per message id, over every socket.
 */
export function tallyDeliveries(
  acked: ReadonlyArray<{ id: number; group: number }>,
  onlineByGroup: readonly number[],
  received: ReadonlyMap<number, number>,
): DeliveryTally {
  let expected = 0;
  let lost = 0;
  let lostMessages = 0;
  for (const { id, group } of acked) {
    const want = Math.max(0, (onlineByGroup[group] ?? 0) - 1);
    const got = received.get(id) ?? 0;
    expected += want;
    if (got < want) {
      lost += want - got;
      lostMessages++;
    }
  }
  let total = 0;
  for (const n of received.values()) total += n;
  return { expected, received: total, lost, lostMessages };
}
