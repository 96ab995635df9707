import type { Origin, Topic } from '@parley/common';
import type { TopicEvent } from '@parley/kafka';
import { type DeliveredMessage, ErrorCode } from '@parley/protocol';
import type { NewMessage, SenderKey, SeqAllocation, StoredMessageRef } from './messages.repository';

/** Any event of the accepted topic: a send, or a group change (in the conversation's order). */
export type AcceptedEnvelope = TopicEvent<typeof Topic.MessagesAccepted>;
export type MessageAcceptedEnvelope = Extract<AcceptedEnvelope, { type: 'message.accepted' }>;
export type GroupChangeEnvelope = Extract<AcceptedEnvelope, { type: 'group.change-accepted' }>;

export function isGroupChange(event: AcceptedEnvelope): event is GroupChangeEnvelope {
  return event.type === 'group.change-accepted';
}

/**
 * What one accepted send became once committed: the message with its conversation seq, and what
 * fan-out needs to route it. `duplicate` when the (sender, clientMsgId) was already stored (a
 * retry): it carries the ORIGINAL seq and server time, so the retry gets the same ack.
 */
export interface StoredMessage extends DeliveredMessage {
  /** Every member of the conversation when it was stored (the fan-out list). */
  memberIds: string[];
  /** The gateway box and socket that sent it: they get the ack. */
  origin: Origin;
  duplicate: boolean;
  /** The accepted send's `acceptedAt`, for per-hop tracing. */
  acceptedAt?: string;
  /** A group change that moved the membership: the gateways' member caches must drop it. */
  membersChanged?: boolean;
  /**
   * A channel's message or event: fanned out once to every gateway box, which pushes it to its
   * sockets subscribed to the channel (`memberIds` is empty: a channel is never routed member by
   * member).
   */
  channel?: boolean;
  /** A channel event that made or changed members (the creator, promotions, demotions). */
  channelChanges?: ChannelMembersChange;
}

/** Users whose channel membership or role changed: every gateway updates what it holds of them. */
export interface ChannelMembersChange {
  conversationId: string;
  joined: string[];
  left: string[];
  roles: string[];
}

/**
 * A channel's silent membership change (join, leave, add, remove): nothing stored; the origin
 * gets an `ack` at the channel's last seq, and every gateway updates its channel subscriptions.
 */
export interface NotedChange {
  conversationId: string;
  clientMsgId: string;
  origin: Origin;
  seq: number;
  serverTime: string;
  acceptedAt?: string;
  noted: ChannelMembersChange;
}

/**
 * A send or group change storage refused in the conversation's order (the sender is no longer a
 * member, or not an admin): nothing stored; the origin socket gets an `error` with the
 * clientMsgId. Its offset commits like a stored one's.
 */
export interface RefusedSend {
  conversationId: string;
  clientMsgId: string;
  origin: Origin;
  refusal: { code: ErrorCode.Forbidden | ErrorCode.ValidationFailed; message: string };
}

/** What each accepted event became, in batch order. */
export type PersistOutcome = StoredMessage | RefusedSend | NotedChange;

export function isRefused(outcome: PersistOutcome): outcome is RefusedSend {
  return 'refusal' in outcome;
}

export function isNoted(outcome: PersistOutcome): outcome is NotedChange {
  return 'noted' in outcome;
}

export function isStored(outcome: PersistOutcome): outcome is StoredMessage {
  return !('refusal' in outcome) && !('noted' in outcome);
}

/**
 * What one accepted event becomes:
 *  - `new`: the first occurrence of its (sender, clientMsgId), not stored yet; it takes the
 *    `offset`-th seq of its conversation's allocation;
 *  - `stored`: already in PostgreSQL (a retry): a duplicate carrying the ORIGINAL seq and time;
 *  - `repeat`: the same key appeared earlier in this batch: a duplicate of `entries[first]`.
 */
export type PlanEntry =
  | { kind: 'new'; event: MessageAcceptedEnvelope; offset: number }
  | { kind: 'stored'; event: MessageAcceptedEnvelope; stored: StoredMessageRef }
  | { kind: 'repeat'; event: MessageAcceptedEnvelope; first: number }
  | { kind: 'refused'; event: MessageAcceptedEnvelope; message: string };

export interface PersistPlan {
  /** Seqs to reserve per conversation, sorted by id: a fixed lock order across transactions. */
  seqRequests: { conversationId: string; count: number }[];
  /** One entry per event, in batch (offset) order. */
  entries: PlanEntry[];
}

export interface PoisonVerdict {
  eventIds: string[];
  reason: string;
}

export function senderKey(senderId: string, clientMsgId: string): string {
  return `${senderId}\u0000${clientMsgId}`;
}

/** The distinct idempotency keys of a batch, first-seen order. */
export function uniqueSenderKeys(events: readonly MessageAcceptedEnvelope[]): SenderKey[] {
  const seen = new Map<string, SenderKey>();
  for (const { payload } of events) {
    const key = senderKey(payload.senderId, payload.clientMsgId);
    if (!seen.has(key))
      seen.set(key, { senderId: payload.senderId, clientMsgId: payload.clientMsgId });
  }
  return [...seen.values()];
}

/**
 * Events that can never be stored, grouped by the FIRST reason found (the transport re-runs the
 * handler with the rest, so another reason surfaces on the next call with its own verdict):
 * the conversation does not exist, or the text holds a NUL (which PostgreSQL rejects on every
 * retry). A sender who is not a member is not poison: the send is refused (planPersist), since a
 * member removed after the gateway accepted the send is a normal race.
 * `pending` are the events not already stored (stored ones were valid when they were written).
 */
export function findPoison(
  pending: readonly MessageAcceptedEnvelope[],
  members: ReadonlyMap<string, readonly string[]>,
): PoisonVerdict | null {
  const verdicts = new Map<string, string[]>();
  for (const event of pending) {
    const { conversationId, senderId } = event.payload;
    const memberIds = members.get(conversationId);
    const reason = !memberIds
      ? 'conversation does not exist'
      : memberIds.includes(senderId) && event.payload.text.includes('\u0000')
        ? 'text contains a NUL character (PostgreSQL text cannot store it)'
        : null;
    if (reason) verdicts.set(reason, [...(verdicts.get(reason) ?? []), event.id]);
  }
  const first = verdicts.entries().next();
  return first.done ? null : { reason: first.value[0], eventIds: first.value[1] };
}

/**
 * Dedup and seq planning for a batch: already-stored keys are duplicates (even from a member
 * removed since: they were stored while a member); a send from a sender who is not a current
 * member is refused; among the rest the first occurrence per (sender, clientMsgId) is new and
 * later ones repeat it. New messages take consecutive seqs per conversation in batch order.
 */
export function planPersist(
  events: readonly MessageAcceptedEnvelope[],
  stored: readonly StoredMessageRef[],
  members: ReadonlyMap<string, readonly string[]> = new Map(),
  channels: ReadonlySet<string> = new Set(),
): PersistPlan {
  const storedByKey = new Map(stored.map((s) => [senderKey(s.senderId, s.clientMsgId), s]));
  const firstByKey = new Map<string, number>();
  const counts = new Map<string, number>();
  const entries: PlanEntry[] = events.map((event, index): PlanEntry => {
    const key = senderKey(event.payload.senderId, event.payload.clientMsgId);
    const known = storedByKey.get(key);
    if (known) return { kind: 'stored', event, stored: known };
    const memberIds = members.get(event.payload.conversationId);
    if (memberIds && !memberIds.includes(event.payload.senderId)) {
      const channel = channels.has(event.payload.conversationId);
      const message = channel
        ? 'Only admins post in this channel'
        : 'Not a member of this conversation';
      return { kind: 'refused', event, message };
    }
    const first = firstByKey.get(key);
    if (first !== undefined) return { kind: 'repeat', event, first };
    firstByKey.set(key, index);
    const offset = counts.get(event.payload.conversationId) ?? 0;
    counts.set(event.payload.conversationId, offset + 1);
    return { kind: 'new', event, offset };
  });
  const seqRequests = [...counts]
    .map(([conversationId, count]) => ({ conversationId, count }))
    .sort((a, b) =>
      a.conversationId < b.conversationId ? -1 : a.conversationId > b.conversationId ? 1 : 0,
    );
  return { seqRequests, entries };
}

/** The plan's new messages as the append statement takes them (seq = first of the range + offset). */
export function newMessages(plan: PersistPlan): NewMessage[] {
  const messages: NewMessage[] = [];
  for (const entry of plan.entries) {
    if (entry.kind !== 'new') continue;
    const { payload } = entry.event;
    messages.push({
      conversationId: payload.conversationId,
      offset: entry.offset,
      senderId: payload.senderId,
      clientMsgId: payload.clientMsgId,
      body: payload.text,
      ...(payload.image ? { image: payload.image } : {}),
    });
  }
  return messages;
}

/**
 * Turns a plan plus the seq allocations its append got into one StoredMessage per event,
 * in batch order (a new message's seq is the first of its conversation's range + its offset, as
 * the append statement numbered it).
 *
 * Built field by field, per message on the message path: an object literal that starts with a
 * spread and adds keys is about a microsecond slower to build in V8 (Node 20) than one that names
 * its fields, and an allocation's times are made strings once, not once per message
 * (tools/bench/persist-plan.bench.ts).
 */
export function resolvePlan(
  plan: PersistPlan,
  allocations: ReadonlyMap<string, SeqAllocation>,
  members: ReadonlyMap<string, readonly string[]>,
  channels: ReadonlySet<string> = new Set(),
): PersistOutcome[] {
  const stored: PersistOutcome[] = [];
  const timesOf = new Map<SeqAllocation, { serverTime: string; expiresAt?: string }>();
  const isoTimes = (allocation: SeqAllocation) => {
    let times = timesOf.get(allocation);
    if (!times) {
      times = { serverTime: allocation.serverTime.toISOString() };
      if (allocation.expiresAt) times.expiresAt = allocation.expiresAt.toISOString();
      timesOf.set(allocation, times);
    }
    return times;
  };
  /** The message as stored, to its members (none for a channel: every box gets it, as a channel). */
  const storedMessage = (
    payload: MessageAcceptedEnvelope['payload'],
    conversationId: string,
    seq: number,
    text: string,
    serverTime: string,
    duplicate: boolean,
  ): StoredMessage => {
    const channel = channels.has(conversationId);
    const message: StoredMessage = {
      conversationId,
      seq,
      senderId: payload.senderId,
      senderUsername: payload.senderUsername,
      clientMsgId: payload.clientMsgId,
      text,
      serverTime,
      memberIds: channel ? [] : [...(members.get(conversationId) ?? [])],
      origin: payload.origin,
      acceptedAt: payload.acceptedAt,
      duplicate,
    };
    if (channel) message.channel = true;
    return message;
  };
  for (const entry of plan.entries) {
    const { payload } = entry.event;
    switch (entry.kind) {
      case 'new': {
        const allocation = allocations.get(payload.conversationId);
        if (!allocation) throw new Error(`no seq allocation for ${payload.conversationId}`);
        const times = isoTimes(allocation);
        const message = storedMessage(
          payload,
          payload.conversationId,
          allocation.firstSeq + entry.offset,
          payload.text,
          times.serverTime,
          false,
        );
        if (payload.image) message.image = payload.image;
        if (times.expiresAt) message.expiresAt = times.expiresAt;
        stored.push(message);
        break;
      }
      case 'stored': {
        const original = entry.stored;
        const message = storedMessage(
          payload,
          original.conversationId,
          original.seq,
          original.body,
          original.serverTime.toISOString(),
          true,
        );
        if (original.event) message.event = original.event;
        if (original.image) message.image = original.image;
        if (original.expiresAt) message.expiresAt = original.expiresAt.toISOString();
        if (original.expired) message.expired = true;
        stored.push(message);
        break;
      }
      case 'repeat': {
        const original = stored[entry.first];
        if (isRefused(original)) throw new Error('a repeat of a refused send is refused itself');
        stored.push({
          ...original,
          senderId: payload.senderId,
          senderUsername: payload.senderUsername,
          clientMsgId: payload.clientMsgId,
          origin: payload.origin,
          acceptedAt: payload.acceptedAt,
          duplicate: true,
        });
        break;
      }
      case 'refused':
        stored.push({
          conversationId: payload.conversationId,
          clientMsgId: payload.clientMsgId,
          origin: payload.origin,
          refusal: { code: ErrorCode.Forbidden, message: entry.message },
        });
        break;
    }
  }
  return stored;
}
