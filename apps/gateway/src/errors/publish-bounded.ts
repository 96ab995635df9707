import type { Logger } from '@nestjs/common';
import { withTimeout } from '@parley/common';
import { MessagingException } from './messaging.exception';

/**
 * A client action's publish to Kafka, bounded: one that Kafka has not acknowledged within
 * `timeoutMs` becomes `unavailable`, so the client keeps it and retries (sends with the same
 * clientMsgId: storage makes the retry idempotent, even if the first attempt lands after all).
 */
export async function publishBounded(
  sending: Promise<void>,
  timeoutMs: number,
  logger: Logger,
  context: { event: string; conversationId: string },
): Promise<void> {
  try {
    await withTimeout(sending, timeoutMs, 'Kafka publish');
  } catch (err) {
    logger.warn({ err, ...context }, 'client action not published');
    throw MessagingException.unavailable();
  }
}
