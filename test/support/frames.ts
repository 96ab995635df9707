import { randomUUID } from 'node:crypto';
import type {
  AckFrame,
  DeliveredMessage,
  ErrorFrame,
  GroupChangeRequest,
  HistoryPageFrame,
  MessageFrame,
  ServerFrame,
} from '@parley/protocol';
import type { ParleyTestClient } from '@parley/testing';

/**
 * Frames a library test client sends in the group and channel suites, each with what answers it.
 */
export type Answer = { ack: AckFrame } | { error: ErrorFrame };

/** The `ack` or `error` a send or group change with this clientMsgId got. */
export async function answerTo(client: ParleyTestClient, clientMsgId: string): Promise<Answer> {
  const frame = await client.next<AckFrame | ErrorFrame>(
    (f) => (f.type === 'ack' || f.type === 'error') && f.clientMsgId === clientMsgId,
  );
  return frame.type === 'ack' ? { ack: frame } : { error: frame };
}

/** A `group` frame, answered by its ack or its error. */
export async function change(
  client: ParleyTestClient,
  change: GroupChangeRequest,
  conversationId?: string,
): Promise<Answer> {
  const clientMsgId = randomUUID();
  client.send({
    type: 'group',
    clientMsgId,
    ...(conversationId ? { conversationId } : {}),
    change,
  });
  return answerTo(client, clientMsgId);
}

export async function acked(answer: Promise<Answer>): Promise<AckFrame> {
  const a = await answer;
  if ('error' in a) throw new Error(`refused: ${a.error.code} ${a.error.message}`);
  return a.ack;
}

export async function send(
  client: ParleyTestClient,
  conversationId: string,
  text: string,
): Promise<Answer> {
  const clientMsgId = randomUUID();
  client.send({ type: 'send', clientMsgId, conversationId, text, accepted: false });
  return answerTo(client, clientMsgId);
}

/** The pushed message `seq` of `conversationId` at `client`. */
export function pushed(
  client: ParleyTestClient,
  conversationId: string,
  seq: number,
): Promise<DeliveredMessage> {
  return client
    .next<MessageFrame>(
      (f: ServerFrame) =>
        f.type === 'message' &&
        f.message.conversationId === conversationId &&
        f.message.seq === seq,
    )
    .then((f) => f.message);
}

export async function history(
  client: ParleyTestClient,
  conversationId: string,
): Promise<DeliveredMessage[]> {
  const ref = randomUUID();
  client.send({ type: 'history', ref, conversationId, limit: 100 });
  const page = await client.next<HistoryPageFrame | ErrorFrame>(
    (f) => (f.type === 'history.page' || f.type === 'error') && f.ref === ref,
  );
  if (page.type === 'error') throw new Error(`history refused: ${page.code}`);
  return page.messages;
}

/** The refusal an answer must be (an ack fails the test). */
export async function refused(answer: Promise<Answer>): Promise<ErrorFrame> {
  const a = await answer;
  if ('ack' in a) throw new Error(`acked at seq ${a.ack.seq}, expected a refusal`);
  return a.error;
}
