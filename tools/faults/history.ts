import { z } from 'zod/v4';
import { seqSchema } from '@parley/protocol';

/**
 * The history a fault run records: every client appends what it did and saw, in the order it
 * happened to that client. Events of different clients may interleave in any order; events of one
 * client must keep their order (the checker reads order, not `at`, which may tie).
 *
 * Ids are plain non-empty strings (a fault scenario may name its clients `alice-1`, and a test its
 * conversations `c1`); `at` is milliseconds since the epoch (`Date.now()`), for reading only.
 * The schemas validate a history loaded from a JSONL file (`parseHistoryJsonl`).
 */
const id = z.string().min(1);
/** Finite (zod 4 numbers refuse Infinity and NaN), never negative. */
const at = z.number().nonnegative();

/** The client decided to send a message; it may put the same send on the wire several times. */
export const sendEventSchema = z.object({
  type: z.literal('send'),
  client: id,
  conversationId: id,
  clientMsgId: id,
  text: z.string(),
  at,
});
/** The gateway accepted the frame (optional: not every client records it). */
export const acceptedEventSchema = z.object({
  type: z.literal('accepted'),
  client: id,
  conversationId: id,
  clientMsgId: id,
  at,
});
/** The server confirmed it stored the message, with its seq. */
export const ackEventSchema = z.object({
  type: z.literal('ack'),
  client: id,
  conversationId: id,
  clientMsgId: id,
  seq: seqSchema,
  at,
});
/** A definitive refusal: unless the send is retried and acked, the message must not be stored. */
export const failEventSchema = z.object({
  type: z.literal('fail'),
  client: id,
  conversationId: id,
  clientMsgId: id,
  code: z.string().min(1),
  at,
});
/** A message delivered to this client, by live push or by a sync page. */
export const receiveEventSchema = z.object({
  type: z.literal('receive'),
  client: id,
  conversationId: id,
  seq: seqSchema,
  senderId: id,
  clientMsgId: id,
  text: z.string(),
  at,
});
/** The client's socket was replaced: a new connection epoch starts. */
export const reconnectEventSchema = z.object({
  type: z.literal('reconnect'),
  client: id,
  at,
  gatewayId: id.optional(),
});

export const historyEventSchema = z.discriminatedUnion('type', [
  sendEventSchema,
  acceptedEventSchema,
  ackEventSchema,
  failEventSchema,
  receiveEventSchema,
  reconnectEventSchema,
]);

export type SendEvent = z.output<typeof sendEventSchema>;
export type AcceptedEvent = z.output<typeof acceptedEventSchema>;
export type AckEvent = z.output<typeof ackEventSchema>;
export type FailEvent = z.output<typeof failEventSchema>;
export type ReceiveEvent = z.output<typeof receiveEventSchema>;
export type ReconnectEvent = z.output<typeof reconnectEventSchema>;
export type HistoryEvent = z.output<typeof historyEventSchema>;

/** One row of the authoritative store (PostgreSQL's `messages`), as the caller read it. */
export const storedMessageSchema = z.object({
  seq: seqSchema,
  senderId: id,
  clientMsgId: id,
  text: z.string(),
});
export type StoredMessage = z.output<typeof storedMessageSchema>;

/** The store at the end of the run: conversation id → its stored messages (any order). */
export const storeSnapshotSchema = z.record(id, z.array(storedMessageSchema));
export type StoreSnapshot = z.output<typeof storeSnapshotSchema>;

/**
 * One client (one device of one user): its user id (the store's `senderId`) and the conversations
 * it is a member of at the end of the run.
 */
export const clientMembershipSchema = z.object({
  client: id,
  userId: id,
  conversations: z.array(id),
});
export type ClientMembership = z.output<typeof clientMembershipSchema>;

/** Events as JSONL: one JSON object a line, ending with a newline (empty for no events). */
export function formatHistoryJsonl(events: readonly HistoryEvent[]): string {
  return events.map((event) => `${JSON.stringify(event)}\n`).join('');
}

/**
 * Parses and validates a JSONL history (blank lines are skipped). Throws on the first invalid line,
 * naming its line number and what is wrong with it.
 */
export function parseHistoryJsonl(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new Error(`history line ${index + 1}: not JSON (${(error as Error).message})`);
    }
    const parsed = historyEventSchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`)
        .join('; ');
      throw new Error(`history line ${index + 1}: ${issues}`);
    }
    events.push(parsed.data);
  });
  return events;
}
