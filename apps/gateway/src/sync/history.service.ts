import { Injectable } from '@nestjs/common';
import type { HistoryPage } from '@parley/protocol';
import { ConversationsService } from '../conversations/conversations.service';
import { MessagesReadModel } from '../read-model/messages.read-model';
import { ReceiptsService } from '../receipts/receipts.service';

export const HISTORY_DEFAULT_LIMIT = 10;
export const HISTORY_MAX_LIMIT = 100;

/** History: pages of one conversation's messages, newest first in the store, ascending on the wire. */
@Injectable()
export class HistoryService {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly messages: MessagesReadModel,
    private readonly receipts: ReceiptsService,
  ) {}

  /**
   * The `limit` messages before `beforeSeq` (or the latest), ascending, within what the user may
   * read (requireReadableRange): members from their first readable seq, former members up to the
   * event that ended their membership.
   */
  async page(
    userId: string,
    conversationId: string,
    beforeSeq: number | undefined,
    limit: number = HISTORY_DEFAULT_LIMIT,
  ): Promise<HistoryPage> {
    const { fromSeq, untilSeq } = await this.conversations.requireReadableRange(
      conversationId,
      userId,
    );
    const pageSize = Math.min(Math.max(limit, 1), HISTORY_MAX_LIMIT);
    const before =
      untilSeq === undefined
        ? beforeSeq
        : Math.min(beforeSeq ?? Number.MAX_SAFE_INTEGER, untilSeq + 1);
    const rows = await this.messages.latestBefore(conversationId, before, fromSeq, pageSize + 1);
    const hasMore = rows.length > pageSize;
    const messages = rows.slice(0, pageSize).reverse();
    const newest = messages[messages.length - 1];
    if (newest) this.receipts.observeStored(conversationId, newest.seq);
    return { conversationId, messages, hasMore };
  }
}
