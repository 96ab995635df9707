import { Injectable } from '@nestjs/common';
import type { MessageReceiptsAnswer } from '@parley/protocol';
import { ConversationsService } from '../conversations/conversations.service';
import { MessagingException } from '../errors/messaging.exception';
import { MessageReceiptsReadModel } from '../read-model/message-receipts.read-model';

/**
 * "Who has received and read it": one of the asker's own messages, with each member's receipt
 * and its time, derived from the members' cursors and their moves (MessageReceiptsReadModel).
 * Members only (a non-member learns nothing, not even whether the message exists), and only the
 * message's sender asks, as in the messengers people know.
 */
@Injectable()
export class MessageReceiptsService {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly receipts: MessageReceiptsReadModel,
  ) {}

  async of(userId: string, conversationId: string, seq: number): Promise<MessageReceiptsAnswer> {
    await this.conversations.requireMember(conversationId, userId);
    const author = await this.receipts.authorOf(conversationId, seq);
    if (!author) throw MessagingException.unknownMessage();
    if (author.senderId !== userId || author.isEvent) throw MessagingException.notTheSender();
    if (author.inChannel) throw MessagingException.noChannelReceipts();
    const members = await this.receipts.of(conversationId, seq, userId);
    return {
      conversationId,
      seq,
      members: members.map((m) => ({
        id: m.id,
        username: m.username,
        delivered: m.delivered,
        deliveredAt: m.deliveredAt?.toISOString() ?? null,
        read: m.read,
        readAt: m.readAt?.toISOString() ?? null,
      })),
    };
  }
}
