import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  AppException,
  ClientFrame,
  dependencyUnavailable,
  ErrorCode,
  ErrorFrame,
  isDependencyOutage,
} from '@parley/common';
import type { GatewayConfig } from '../config/gateway.config';
import { ConversationsService } from '../messaging/conversations.service';
import { SendMessageService } from '../messaging/send-message.service';
import { SyncService } from '../messaging/sync.service';
import type { ClientConnection, Continuation } from './client-connection';
import { parseClientFrame } from './frame-parser';

/**
 * Per-socket frame handling, thin: parse and validate, call the one service for the step, answer.
 * A failing frame gets an `error` frame (with its `ref` / `clientMsgId`) and the socket stays open.
 * A send hands back a Continuation once it is queued for Kafka, so the socket's next frame is
 * handled while it waits for the ack; `accepted` (or the error) is sent when it settles.
 */
@Injectable()
export class FrameDispatcher {
  private readonly logger = new Logger(FrameDispatcher.name);

  constructor(
    private readonly sends: SendMessageService,
    private readonly conversations: ConversationsService,
    private readonly sync: SyncService,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'GATEWAY_ID'>,
  ) {}

  async handle(
    connection: ClientConnection,
    data: Buffer,
    isBinary: boolean,
  ): Promise<Continuation | void> {
    if (isBinary) {
      connection.send(errorFrame(ErrorCode.ValidationFailed, 'Frames must be JSON text'));
      return;
    }
    const parsed = parseClientFrame(data.toString('utf8'));
    if (!parsed.ok) {
      connection.send({ type: 'error', ...parsed.problem });
      return;
    }
    const frame = parsed.frame;
    try {
      return await this.dispatch(connection, frame);
    } catch (err) {
      this.fail(connection, frame, err);
    }
  }

  private fail(connection: ClientConnection, frame: ClientFrame, err: unknown): void {
    const echo = {
      ...(frame.ref !== undefined ? { ref: frame.ref } : {}),
      ...(frame.type === 'send' ? { clientMsgId: frame.clientMsgId } : {}),
    };
    if (err instanceof AppException) {
      connection.send(errorFrame(err.code, err.message, echo));
    } else if (isDependencyOutage(err)) {
      this.logger.warn(
        { connectionId: connection.id, frameType: frame.type, reason: (err as Error).message },
        'frame refused: dependency unavailable',
      );
      const unavailable = dependencyUnavailable();
      connection.send(errorFrame(unavailable.code, unavailable.message, echo));
    } else {
      this.logger.error(
        { err, connectionId: connection.id, frameType: frame.type },
        'frame handling failed',
      );
      connection.send(errorFrame(ErrorCode.Internal, 'Internal server error', echo));
    }
  }

  private async dispatch(
    connection: ClientConnection,
    frame: ClientFrame,
  ): Promise<Continuation | void> {
    const ref = frame.ref !== undefined ? { ref: frame.ref } : {};
    switch (frame.type) {
      case 'send': {
        const submitted = await this.sends.submit(
          {
            userId: connection.userId,
            username: connection.username,
            deviceId: connection.deviceId,
            connectionId: connection.id,
            gatewayId: this.config.GATEWAY_ID,
          },
          frame,
        );
        return {
          settled: submitted.accepted.then(
            (accepted) => connection.send({ type: 'accepted', ...ref, ...accepted }),
            (err: unknown) => this.fail(connection, frame, err),
          ),
        };
      }
      case 'sync': {
        const page = await this.sync.page(
          connection.userId,
          connection.deviceId,
          frame.after,
          frame.limit,
        );
        connection.send({ type: 'sync.page', ...ref, ...page });
        return;
      }
      case 'history': {
        const page = await this.conversations.history(
          connection.userId,
          frame.conversationId,
          frame.beforeSeq,
          frame.limit,
        );
        connection.send({ type: 'history.page', ...ref, ...page });
        return;
      }
      case 'read':
        await this.conversations.markRead(
          connection.userId,
          frame.conversationId,
          frame.seq,
          connection.id,
        );
        return;
      case 'delivered':
        await this.conversations.markDelivered(
          connection.userId,
          connection.deviceId,
          frame.conversationId,
          frame.seq,
          connection.id,
        );
        return;
    }
  }
}

export function errorFrame(
  code: ErrorCode,
  message: string,
  echo: { ref?: string; clientMsgId?: string } = {},
): ErrorFrame {
  return { type: 'error', ...echo, code, message };
}
