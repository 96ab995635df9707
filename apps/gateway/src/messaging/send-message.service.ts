import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type SendFrame } from '@parley/common';
import type { GatewayConfig } from '../config/gateway.config';
import { ConversationsService } from './conversations.service';
import { messageTextProblem } from './message-text';
import { MessagingEventsPublisher } from './messaging-events.publisher';
import { MessagingException } from './messaging.exception';

/** Who is sending, from the authenticated socket; never from the frame. */
export interface SocketActor {
  userId: string;
  username: string;
  deviceId: string;
  connectionId: string;
  gatewayId: string;
}

export interface AcceptedSend {
  clientMsgId: string;
  conversationId: string;
}

/**
 * The accept step: check the text, resolve the conversation (membership, or find-or-create for
 * `to`), and hand the send to Kafka. Resolves once Kafka acknowledged it; nothing is published
 * when any check fails.
 */
@Injectable()
export class SendMessageService {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly events: MessagingEventsPublisher,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'MESSAGE_MAX_LENGTH'>,
  ) {}

  async accept(actor: SocketActor, frame: SendFrame): Promise<AcceptedSend> {
    const problem = messageTextProblem(frame.text, this.config.MESSAGE_MAX_LENGTH);
    if (problem) throw MessagingException.invalid('text', problem);

    let conversationId: string;
    if (frame.conversationId !== undefined) {
      await this.conversations.requireMember(frame.conversationId, actor.userId);
      conversationId = frame.conversationId;
    } else if (frame.to !== undefined) {
      ({ conversationId } = await this.conversations.findOrCreateDirect(actor.userId, frame.to));
    } else {
      throw MessagingException.invalid('conversationId', 'exactly one of conversationId or to');
    }

    await this.events.accepted(
      {
        conversationId,
        senderId: actor.userId,
        senderUsername: actor.username,
        clientMsgId: frame.clientMsgId,
        text: frame.text,
        acceptedAt: new Date().toISOString(),
        origin: {
          gatewayId: actor.gatewayId,
          connectionId: actor.connectionId,
          deviceId: actor.deviceId,
        },
      },
      actor.connectionId,
    );
    return { clientMsgId: frame.clientMsgId, conversationId };
  }
}
