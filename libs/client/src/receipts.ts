import { type MemberReceipt, receiptMark, type ReceiptMark } from '@parley/protocol';

/** A member's receipt cursors, as the book holds them. */
export interface ReceiptCursors {
  userId: string;
  deliveredSeq: number;
  readSeq: number;
}

/**
 * The other members' receipt cursors per conversation, from the conversation list (`seed`) and
 * live `receipt` frames (`apply`): what a device derives its own messages' marks from (sent,
 * delivered, read). Cursors only move forward, so a late or repeated frame changes nothing.
 */
export class ReceiptBook {
  private readonly byConversation = new Map<string, Map<string, ReceiptCursors>>();

  /** Takes a member's cursors; true when they moved what this book held. */
  apply(receipt: MemberReceipt): boolean {
    let members = this.byConversation.get(receipt.conversationId);
    if (!members) {
      members = new Map<string, ReceiptCursors>();
      this.byConversation.set(receipt.conversationId, members);
    }
    const known = members.get(receipt.userId);
    const deliveredSeq = Math.max(known?.deliveredSeq ?? 0, receipt.deliveredSeq, receipt.readSeq);
    const readSeq = Math.max(known?.readSeq ?? 0, receipt.readSeq);
    if (known && known.deliveredSeq === deliveredSeq && known.readSeq === readSeq) return false;
    members.set(receipt.userId, { userId: receipt.userId, deliveredSeq, readSeq });
    return true;
  }

  /** Takes a conversation's members with their cursors (a conversation list entry). */
  seed(
    conversationId: string,
    members: readonly { id: string; deliveredSeq: number; readSeq: number }[],
  ): void {
    for (const m of members) {
      this.apply({
        conversationId,
        userId: m.id,
        deliveredSeq: m.deliveredSeq,
        readSeq: m.readSeq,
      });
    }
  }

  /**
   * Drops members' cursors (they left or were removed): marks count the current members only, as
   * the server's do.
   */
  forget(conversationId: string, userIds: Iterable<string>): void {
    const members = this.byConversation.get(conversationId);
    if (!members) return;
    for (const userId of userIds) members.delete(userId);
  }

  /**
   * Drops every cursor: the next list seeds the book afresh. Cursors only move forward, so this is
   * how read state the server no longer shows leaves (this user turned read receipts off).
   */
  clear(): void {
    this.byConversation.clear();
  }

  /** The members' cursors this book holds for a conversation. */
  cursors(conversationId: string): ReceiptCursors[] {
    return [...(this.byConversation.get(conversationId)?.values() ?? [])];
  }

  /** Where message `seq` of `senderId` stands: see `receiptMark`. */
  mark(conversationId: string, seq: number, senderId: string): ReceiptMark {
    return receiptMark(seq, senderId, this.byConversation.get(conversationId)?.values() ?? []);
  }
}
