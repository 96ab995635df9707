import { z } from 'zod/v4';
import { conversationIdSchema, userIdSchema } from './ids';

/** A cursor position: 0 before the first message. */
const positionSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * One member's receipt cursors in a conversation: `deliveredSeq`, the highest seq some device of
 * the member holds, and `readSeq`, the highest the member read (never above `deliveredSeq`). A
 * message of seq `n` is delivered to that member once `deliveredSeq >= n`, and read once
 * `readSeq >= n`. Receipts are derived from these cursors, never stored per message.
 */
export const memberReceiptSchema = z.object({
  conversationId: conversationIdSchema,
  userId: userIdSchema,
  deliveredSeq: positionSchema,
  readSeq: positionSchema,
});
export type MemberReceipt = z.output<typeof memberReceiptSchema>;

/** Where a sender's own message stands, by the other members' cursors. */
export type ReceiptMark = 'sent' | 'delivered' | 'read';

/**
 * The mark of message `seq` sent by `senderId`: `read` once every other member read it,
 * `delivered` once some device of every other member holds it, else `sent` (it is stored). A
 * conversation with no other member known yet reads `sent`.
 */
export function receiptMark(
  seq: number,
  senderId: string,
  cursors: Iterable<{ userId: string; deliveredSeq: number; readSeq: number }>,
): ReceiptMark {
  let others = 0;
  let delivered = true;
  let read = true;
  for (const c of cursors) {
    if (c.userId === senderId) continue;
    others++;
    if (c.deliveredSeq < seq && c.readSeq < seq) delivered = false;
    if (c.readSeq < seq) read = false;
  }
  if (others === 0) return 'sent';
  return read ? 'read' : delivered ? 'delivered' : 'sent';
}
