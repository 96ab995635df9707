import { Injectable, Logger } from '@nestjs/common';
import { DeliveryRouter } from '@parley/common';
import { DeliveryPublisher } from './delivery.publisher';
import { planReceipts, type ReceiptToFanOut } from './message-fanout.plan';

/**
 * Receipt fan-out, after the cursor step's commit: the members' receipts that moved go to every
 * socket of their conversations' other members (planReceipts), one DeliveryBatch per gateway box (one Redis look-up,
 * one pipelined publish for the whole cursor group). Best effort, like every push: a failure is
 * logged and the batch goes on (replaying it would find nothing moved); a device that missed a
 * receipt reads the cursors again with its conversation list.
 */
@Injectable()
export class ReceiptFanoutService {
  private readonly logger = new Logger(ReceiptFanoutService.name);

  constructor(
    private readonly router: DeliveryRouter,
    private readonly deliveries: DeliveryPublisher,
  ) {}

  async fanOut(receipts: readonly ReceiptToFanOut[]): Promise<void> {
    if (receipts.length === 0) return;
    try {
      const members = [...new Set(receipts.flatMap((r) => r.memberIds))];
      const { routable } = await this.router.route(members);
      await this.deliveries.publish(planReceipts(receipts, routable));
    } catch (err) {
      this.logger.warn(
        { receipts: receipts.length, error: err instanceof Error ? err.message : String(err) },
        'receipt fan-out failed; devices read the cursors again on their next list',
      );
    }
  }
}
