import { Injectable, Logger } from '@nestjs/common';
import { Topic, TypingStartedV1 } from '@parley/common';
import { EventPublisher } from '@parley/kafka';
import { TYPING_MIN_INTERVAL_MS } from '@parley/protocol';
import { ConversationsService } from '../conversations/conversations.service';
import type { ClientConnection } from '../realtime/client-connection';
import { ActivityPublisher } from './activity.publisher';

/** A signal this soon after the last one of the socket in the conversation is dropped (jitter allowed). */
export const TYPING_DROP_WITHIN_MS = TYPING_MIN_INTERVAL_MS - 250;
/** Conversations a socket's throttle remembers (a socket typing in more is simply reset). */
const TYPING_THROTTLE_ENTRIES = 64;

/**
 * `typing`: a member of a group or 1:1 conversation (not a channel) is typing. At most one signal
 * per socket and conversation per TYPING_MIN_INTERVAL_MS goes on (extras are dropped without an
 * answer); it goes to parley.typing.v1 keyed by the conversation, with the other members, and
 * presence pushes it to their sockets. Typing is user activity. Never stored; a signal Kafka
 * refused is dropped (a late one would be wrong anyway).
 */
@Injectable()
export class TypingService {
  private readonly logger = new Logger(TypingService.name);

  constructor(
    private readonly conversations: ConversationsService,
    private readonly publisher: EventPublisher,
    private readonly activity: ActivityPublisher,
  ) {}

  async typing(connection: ClientConnection, conversationId: string): Promise<void> {
    const now = Date.now();
    const last = connection.typingSentAt.get(conversationId);
    if (last !== undefined && now - last < TYPING_DROP_WITHIN_MS) return;
    const recipientIds = await this.conversations.otherMembers(conversationId, connection.userId);
    if (connection.typingSentAt.size >= TYPING_THROTTLE_ENTRIES) connection.typingSentAt.clear();
    connection.typingSentAt.set(conversationId, now);
    this.activity.note(connection.userId);
    if (recipientIds.length === 0) return;
    await this.publisher
      .publish(Topic.Typing, conversationId, TypingStartedV1, {
        conversationId,
        userId: connection.userId,
        username: connection.username,
        at: new Date(now).toISOString(),
        recipientIds: [...recipientIds],
      })
      .catch((err: unknown) =>
        this.logger.warn({ err, conversationId }, 'typing signal not published; dropped'),
      );
  }
}
