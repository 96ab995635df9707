import type { DeliveryBatch, DeviceConnection } from '@parley/common';
import type { DeliveredMessage, MemberReceipt } from '@parley/protocol';
import {
  isNoted,
  isRefused,
  isStored,
  type PersistOutcome,
  type StoredMessage,
} from '../messages/message-persist.plan';

export function toDeliveredMessage(m: StoredMessage): DeliveredMessage {
  return {
    conversationId: m.conversationId,
    seq: m.seq,
    senderId: m.senderId,
    senderUsername: m.senderUsername,
    clientMsgId: m.clientMsgId,
    text: m.text,
    serverTime: m.serverTime,
    ...(m.event ? { event: m.event } : {}),
    ...(m.image ? { image: m.image } : {}),
    ...(m.expiresAt ? { expiresAt: m.expiresAt } : {}),
    ...(m.expired ? { expired: true } : {}),
  };
}

/**
 * One DeliveryBatch per gateway box, items in stored order. A message goes to every member socket
 * as `connectionIds` except the origin socket, which gets `ackConnectionId` (the sender's other
 * devices get it as a message). A duplicate (a retried send, or a batch storage replays after
 * dying between its commit and its publish) goes to every member too: after such a crash it is
 * the only push recipients ever get, and a device ignores a seq it already holds (the gateway
 * drops it for sockets that were sent it). Within one batch each (conversation, seq) is pushed
 * once; a repeat only acks its origin. A refused send or change goes to its origin socket only,
 * as a refusal.
 */
export function planDeliveries(
  outcomes: readonly PersistOutcome[],
  connectionsByUser: ReadonlyMap<string, readonly DeviceConnection[]>,
): Map<string, DeliveryBatch> {
  const batches = new Map<string, DeliveryBatch>();
  const batchOf = (gatewayId: string): DeliveryBatch => {
    let batch = batches.get(gatewayId);
    if (!batch) batches.set(gatewayId, (batch = { version: 1, items: [] }));
    return batch;
  };
  const pushed = new Set<string>();
  for (const m of outcomes) {
    if (isRefused(m)) {
      (batchOf(m.origin.gatewayId).refusals ??= []).push({
        connectionId: m.origin.connectionId,
        clientMsgId: m.clientMsgId,
        ...m.refusal,
      });
      continue;
    }
    if (isNoted(m)) {
      (batchOf(m.origin.gatewayId).acks ??= []).push({
        connectionId: m.origin.connectionId,
        clientMsgId: m.clientMsgId,
        conversationId: m.conversationId,
        seq: m.seq,
        serverTime: m.serverTime,
      });
      continue;
    }
    // A channel's message, and its ack, go in the one broadcast batch (planChannelDeliveries).
    if (m.channel) continue;
    const key = `${m.conversationId}\u0000${m.seq}`;
    const push = !pushed.has(key);
    pushed.add(key);
    const perGateway = new Map<string, { connectionIds: Set<string>; ack?: string }>();
    const slot = (gatewayId: string) => {
      let s = perGateway.get(gatewayId);
      if (!s) perGateway.set(gatewayId, (s = { connectionIds: new Set() }));
      return s;
    };
    slot(m.origin.gatewayId).ack = m.origin.connectionId;
    if (push) {
      for (const userId of new Set(m.memberIds)) {
        for (const c of connectionsByUser.get(userId) ?? []) {
          // A membership event's text is made by storage: its origin gets it pushed too.
          if (c.connectionId !== m.origin.connectionId || m.event)
            slot(c.gatewayId).connectionIds.add(c.connectionId);
        }
      }
    }
    const message = toDeliveredMessage(m);
    for (const [gatewayId, s] of perGateway) {
      batchOf(gatewayId).items.push({
        message,
        connectionIds: [...s.connectionIds],
        ...(s.ack ? { ackConnectionId: s.ack } : {}),
        ...(m.acceptedAt ? { acceptedAt: m.acceptedAt } : {}),
      });
    }
  }
  return batches;
}

/**
 * Channels' messages as ONE batch for every gateway box (RedisChannels.channelDeliveries): each box
 * pushes them to its own sockets subscribed to the channel, so a post to a channel of 10,000
 * members costs one publish, never a look-up per member. Each (conversation, seq) once per batch;
 * the origin socket is named so it gets only its `ack`, which the box holding it writes.
 */
export function planChannelDeliveries(outcomes: readonly PersistOutcome[]): DeliveryBatch | null {
  const items: DeliveryBatch['items'] = [];
  const pushed = new Set<string>();
  for (const m of outcomes) {
    if (!isStored(m) || !m.channel) continue;
    const key = `${m.conversationId}\u0000${m.seq}`;
    if (pushed.has(key)) continue;
    pushed.add(key);
    items.push({
      message: toDeliveredMessage(m),
      // A membership event's origin is named: the socket that created the channel is not
      // subscribed to it yet when its `channel-created` goes out.
      connectionIds: m.event ? [m.origin.connectionId] : [],
      channel: true,
      // The box holding the origin socket acks it from here: in the same Redis channel as every
      // later post, so the ack of seq n always comes before the push of n + 1 (two posting
      // admins would otherwise see a gap). A membership event's text is made by storage: its
      // origin gets it pushed too (named above).
      ackConnectionId: m.origin.connectionId,
      ...(m.event ? {} : { originConnectionId: m.origin.connectionId }),
      ...(m.acceptedAt ? { acceptedAt: m.acceptedAt } : {}),
    });
  }
  return items.length > 0 ? { version: 1, items } : null;
}

/** A member's receipt that moved, with the members of its conversation (who are told). */
export interface ReceiptToFanOut extends MemberReceipt {
  memberIds: readonly string[];
  /** The member turned read receipts off: every other member is told its delivered cursor only. */
  readHidden?: boolean;
  /** Members who turned read receipts off: they are told nobody's read cursor. */
  blindIds?: readonly string[];
}

/**
 * Receipts as delivery batches: each moved receipt goes to every socket of the members told of it
 * (the senders whose messages' marks it moved: ADVANCE_MEMBERS), one entry per gateway box
 * holding any of them. The member whose cursors moved is not told: its devices reported the move.
 * Read state is shown only between members who both have read receipts on: the others are told
 * the receipt with `readSeq` 0 (delivered only).
 */
export function planReceipts(
  receipts: readonly ReceiptToFanOut[],
  connectionsByUser: ReadonlyMap<string, readonly DeviceConnection[]>,
): Map<string, DeliveryBatch> {
  const batches = new Map<string, DeliveryBatch>();
  for (const { memberIds, readHidden, blindIds, ...receipt } of receipts) {
    const blind = new Set(blindIds);
    const told = { shown: new Map<string, string[]>(), hidden: new Map<string, string[]>() };
    for (const userId of new Set(memberIds)) {
      if (userId === receipt.userId) continue;
      const perGateway = readHidden || blind.has(userId) ? told.hidden : told.shown;
      for (const c of connectionsByUser.get(userId) ?? []) {
        const ids = perGateway.get(c.gatewayId) ?? [];
        ids.push(c.connectionId);
        perGateway.set(c.gatewayId, ids);
      }
    }
    const variants = [
      { receipt, perGateway: told.shown },
      { receipt: { ...receipt, readSeq: 0 }, perGateway: told.hidden },
    ];
    for (const variant of variants) {
      for (const [gatewayId, connectionIds] of variant.perGateway) {
        let batch = batches.get(gatewayId);
        if (!batch) batches.set(gatewayId, (batch = { version: 1, items: [] }));
        (batch.receipts ??= []).push({ receipt: variant.receipt, connectionIds });
      }
    }
  }
  return batches;
}
