import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, MessageAcceptedV1, observeHop, type PayloadOf } from '@parley/common';
import { type MessageImage, messageTextProblem, type SendFrame } from '@parley/protocol';
import { EventPublisher } from '@parley/kafka';
import type { GatewayConfig } from '../config/gateway.config';
import { ConnectionLifecycle } from '../connections/connection-lifecycle';
import { ConversationsService } from '../conversations/conversations.service';
import { MessagingException } from '../errors/messaging.exception';
import { ImagesReadModel } from '../read-model/images.read-model';
import { SendRateLimiter } from '../throttling/send-rate.limiter';
import { MessageAcceptedPublisher } from './message-accepted.publisher';

import { PendingAcks } from './pending-acks';

/** What every accepted event carries about its sender, from the socket (see submitTracked). */
export interface AcceptedCommon {
  conversationId: string;
  senderId: string;
  senderUsername: string;
  clientMsgId: string;
  acceptedAt: string;
  origin: { gatewayId: string; connectionId: string; deviceId: string };
}

/**
 * Counts the send as pending its ack, publishes it (`publish` gets the sender's fields, the
 * acceptance time and the origin socket), and settles `accepted` with Kafka's answer; a refusal
 * releases the pending ack. Shared by sends and group changes.
 */
export function submitTracked(
  unacked: PendingAcks,
  actor: SocketActor,
  clientMsgId: string,
  conversationId: string,
  publish: (common: AcceptedCommon) => Promise<void>,
): SubmittedSend {
  unacked.admit(actor.connectionId, clientMsgId);
  const acceptedAt = new Date().toISOString();
  const published = publish({
    conversationId,
    senderId: actor.userId,
    senderUsername: actor.username,
    clientMsgId,
    acceptedAt,
    origin: {
      gatewayId: actor.gatewayId,
      connectionId: actor.connectionId,
      deviceId: actor.deviceId,
    },
  });
  const accepted = published.then(
    () => {
      observeHop('kafka_appended', acceptedAt);
      return { clientMsgId, conversationId };
    },
    (err: unknown) => {
      unacked.release(actor.connectionId, clientMsgId);
      throw err;
    },
  );
  // Marked handled here: the caller awaits it later, after submitting further sends.
  accepted.catch(() => undefined);
  return { accepted };
}

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
 * A send that passed every check and is queued for Kafka: `accepted` settles when Kafka
 * acknowledged it. Sends submitted one after another reach Kafka in that order (the publisher's
 * queue is FIFO), so a caller may submit the next send before this one settles.
 */
export interface SubmittedSend {
  accepted: Promise<AcceptedSend>;
}

/**
 * The accept step: check the text (an image's caption may be empty) and the image (one this user
 * uploaded; the event carries it as messages do), resolve the conversation (membership, or find-or-create for
 * `to`), and hand the send to Kafka. Nothing is published when any check fails. When the Kafka
 * publisher already holds its maximum of queued records the send is refused with `overloaded`
 * (explicit pushback; the client retries later with the same clientMsgId). Each socket and each
 * user has a send budget (SendRateLimiter): past it the send is refused with `rate_limited`.
 */
@Injectable()
export class MessageAcceptService {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly events: MessageAcceptedPublisher,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'MESSAGE_MAX_LENGTH'>,
    private readonly unacked: PendingAcks,
    private readonly rateLimiter: SendRateLimiter,
    private readonly images: ImagesReadModel,
    lifecycle: ConnectionLifecycle,
    @Optional() private readonly publisher?: Pick<EventPublisher, 'saturated'>,
  ) {
    // The socket closed: its acks can no longer arrive here.
    lifecycle.onClosed((connectionId) => this.unacked.releaseConnection(connectionId));
  }

  /** The deliver step brought this send's `ack` (it is stored): it no longer counts as pending. */
  acknowledged(connectionId: string, clientMsgId: string): void {
    this.unacked.release(connectionId, clientMsgId);
  }

  /** Checks and publishes; resolves once Kafka acknowledged the send. */
  async accept(actor: SocketActor, frame: SendFrame): Promise<AcceptedSend> {
    return (await this.submit(actor, frame)).accepted;
  }

  /**
   * Checks the send and queues it for Kafka; resolves as soon as it is queued (the returned
   * `accepted` settles with Kafka's ack). Rejects, publishing nothing, when a check fails.
   */
  async submit(actor: SocketActor, frame: SendFrame): Promise<SubmittedSend> {
    // First, so a flood of invalid sends spends the budget too.
    const budget = await this.rateLimiter.admit(actor.connectionId, actor.userId);
    if (!budget.allowed) throw MessagingException.rateLimited(budget.retryAfterMs);
    const problem = messageTextProblem(frame.text, this.config.MESSAGE_MAX_LENGTH, {
      caption: frame.image !== undefined,
    });
    if (problem) throw MessagingException.invalid('text', problem);
    // An image goes out as its uploader's: anyone else's id is refused as if it did not exist.
    let image: MessageImage | undefined;
    if (frame.image !== undefined) {
      image = await this.images.uploadedBy(actor.userId, frame.image.id);
      if (image === undefined) {
        throw MessagingException.invalid('image', 'no such image of yours (upload it first)');
      }
    }

    let conversationId: string;
    if (frame.conversationId !== undefined) {
      await this.conversations.requirePoster(frame.conversationId, actor.userId);
      conversationId = frame.conversationId;
    } else if (frame.to !== undefined) {
      ({ conversationId } = await this.conversations.findOrCreateDirect(actor.userId, frame.to));
    } else {
      throw MessagingException.invalid('conversationId', 'exactly one of conversationId or to');
    }

    // Checked right before the (synchronous) enqueue below, so the bound is exact.
    if (this.publisher?.saturated) {
      throw MessagingException.overloaded('Server overloaded');
    }
    return submitTracked(this.unacked, actor, frame.clientMsgId, conversationId, (common) => {
      // Completed in place (the object is this send's own): a literal that starts with a spread
      // and adds keys costs V8 (Node 20) about a microsecond more per send.
      const payload: PayloadOf<typeof MessageAcceptedV1> = Object.assign(common, {
        text: frame.text,
      });
      if (image) payload.image = image;
      return this.events.accepted(payload, actor.connectionId);
    });
  }
}
