import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@parley/common';
import { type DeliveredMessage } from '@parley/protocol';
import type { GatewayConfig } from '../config/gateway.config';
import { MessagingException } from '../errors/messaging.exception';
import { MessagesReadModel } from '../read-model/messages.read-model';
import { ReceiptsService } from '../receipts/receipts.service';
import { decodeSyncToken, encodeSyncToken } from './sync-token';

export const SYNC_MAX_PAGE_SIZE = 500;

export interface SyncPage {
  messages: DeliveredMessage[];
  next: string;
  done: boolean;
}

/**
 * Offline delivery: the messages a device has not had, in (conversation, seq) order, a page at a
 * time. Positions come from the device's delivered cursors and the opaque `after` token (the last
 * message of the previous page), so paging works before the client's `delivered` frames have
 * moved the cursors.
 */
@Injectable()
export class SyncService {
  constructor(
    private readonly messages: MessagesReadModel,
    private readonly receipts: ReceiptsService,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'SYNC_PAGE_SIZE'>,
  ) {}

  async page(
    userId: string,
    deviceId: string,
    after: string | undefined,
    limit: number | undefined,
  ): Promise<SyncPage> {
    const position = decodeSyncToken(after ?? '');
    if (position === undefined) throw MessagingException.invalid('after', 'is not a sync token');
    const pageSize = Math.min(limit ?? this.config.SYNC_PAGE_SIZE, SYNC_MAX_PAGE_SIZE);
    const rows = await this.messages.undelivered(userId, deviceId, position, pageSize + 1);
    const messages = rows.slice(0, pageSize);
    for (const m of messages) this.receipts.observeStored(m.conversationId, m.seq);
    const last = messages[messages.length - 1];
    return {
      messages,
      next: last
        ? encodeSyncToken({ conversationId: last.conversationId, seq: last.seq })
        : (after ?? ''),
      done: rows.length <= pageSize,
    };
  }
}
