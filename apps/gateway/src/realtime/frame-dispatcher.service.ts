import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  AppException,
  dependencyUnavailable,
  isDependencyOutage,
} from '@parley/common';
import { AuthFrame, ClientFrame, decodeClientFrame, ErrorCode, ErrorFrame } from '@parley/protocol';
import { AccessTokenVerifier } from '../accounts/access-token.verifier';
import { AccountsErrorReason, AccountsException } from '../accounts/accounts.exception';
import type { GatewayConfig } from '../config/gateway.config';
import { ResumeTickets } from '../connect/resume-tickets';
import { GroupChangeAcceptService } from '../accept/group-change-accept.service';
import { MessageAcceptService, type SubmittedSend } from '../accept/message-accept.service';
import { MessagingException } from '../errors/messaging.exception';
import { ActivityPublisher } from '../presence/activity.publisher';
import { PresenceWatchService } from '../presence/presence-watch.service';
import { TypingService } from '../presence/typing.service';
import { ReceiptsService } from '../receipts/receipts.service';
import { HistoryService } from '../sync/history.service';
import { SyncRoundService } from '../sync/sync-round.service';
import { SyncService } from '../sync/sync.service';
import { coolDownMs } from '../throttling/token-bucket';
import type { ClientConnection, Continuation } from './client-connection';
import { ConnectionEventsPublisher } from './connection-events.publisher';

/**
 * Per-socket frame handling, thin: parse and validate, call the one service for the step, answer.
 * A failing frame gets an `error` frame (with its `ref` / `clientMsgId`, and `retryAfterMs` when
 * waiting helps) and the socket stays open. Frames other than `send` spend the socket's frame
 * budget (sends have their own, in the accept step): past it they are refused `rate_limited`.
 * A send hands back a Continuation once it is queued for Kafka, so the socket's next frame is
 * handled while it waits for the ack; `accepted` (or the error) is sent when it settles.
 */
@Injectable()
export class FrameDispatcher {
  private readonly logger = new Logger(FrameDispatcher.name);

  constructor(
    private readonly accept: MessageAcceptService,
    private readonly groupChanges: GroupChangeAcceptService,
    private readonly sync: SyncService,
    private readonly syncRounds: SyncRoundService,
    private readonly history: HistoryService,
    private readonly receipts: ReceiptsService,
    private readonly tokens: AccessTokenVerifier,
    private readonly resumeTickets: ResumeTickets,
    private readonly activity: ActivityPublisher,
    private readonly presence: PresenceWatchService,
    private readonly typingSignals: TypingService,
    private readonly events: ConnectionEventsPublisher,
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
    const parsed = decodeClientFrame(data.toString('utf8'));
    if (!parsed.ok) {
      connection.send({ type: 'error', ...parsed.problem });
      return;
    }
    const frame = parsed.frame;
    try {
      if (frame.type !== 'send' && frame.type !== 'group') this.spendFrameBudget(connection);
      if (frame.type === 'presence.state' || frame.type === 'presence.watch') {
        this.spendPresenceBudget(connection);
      }
      return await this.dispatch(connection, frame);
    } catch (err) {
      this.fail(connection, frame, err);
    }
  }

  private fail(connection: ClientConnection, frame: ClientFrame, err: unknown): void {
    const echo = {
      ...(frame.ref !== undefined ? { ref: frame.ref } : {}),
      ...(frame.type === 'send' || frame.type === 'group'
        ? { clientMsgId: frame.clientMsgId }
        : {}),
    };
    if (err instanceof AppException) {
      const retry = err.details?.retryAfterMs;
      connection.send(
        errorFrame(err.code, err.message, { ...echo, ...(retry ? { retryAfterMs: retry } : {}) }),
      );
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
    const actor = {
      userId: connection.userId,
      username: connection.username,
      deviceId: connection.deviceId,
      connectionId: connection.id,
      gatewayId: this.config.GATEWAY_ID,
    };
    const answer = (submitted: SubmittedSend, sendAccepted: boolean): Continuation => ({
      settled: submitted.accepted.then(
        (accepted) => {
          // Nobody waits on it: it may wait a little for the `ack` (or any frame) to share a write.
          if (sendAccepted)
            connection.send({ type: 'accepted', ...ref, ...accepted }, { linger: true });
        },
        (err: unknown) => this.fail(connection, frame, err),
      ),
    });
    switch (frame.type) {
      case 'send':
        this.activity.note(connection.userId);
        return answer(await this.accept.submit(actor, frame), frame.accepted !== false);
      case 'group':
        this.activity.note(connection.userId);
        return answer(await this.groupChanges.submit(actor, frame), true);
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
      case 'sync.states':
        await this.syncRounds.answer(connection, frame);
        return;
      case 'history': {
        const page = await this.history.page(
          connection.userId,
          frame.conversationId,
          frame.beforeSeq,
          frame.limit,
        );
        connection.send({ type: 'history.page', ...ref, ...page });
        return;
      }
      case 'read':
        this.activity.note(connection.userId);
        await this.receipts.markRead(connection.userId, frame.conversationId, frame.seq);
        return;
      case 'presence.state': {
        const previous = connection.presenceState;
        if (previous === frame.state) return;
        connection.presenceState = frame.state;
        if (previous === 'unreported' && frame.state === 'background') return;
        // Coming to the foreground is the user's doing when the client says so, or when this
        // socket was in the background; a new socket restating its state (a reconnect) is the
        // app's. The activity rides in the event (presence applies it after the state).
        const active =
          frame.state === 'foreground' && (frame.active === true || previous === 'background');
        await this.events.stateChanged(connection, frame.state, active);
        return;
      }
      case 'presence.activity':
        this.activity.note(connection.userId);
        return;
      case 'presence.watch':
        await this.presence.watch(connection, frame.userIds, frame.ref);
        return;
      case 'typing':
        await this.typingSignals.typing(connection, frame.conversationId);
        return;
      case 'delivered':
        await this.receipts.markDelivered(
          connection.userId,
          connection.deviceId,
          frame.conversationId,
          frame.seq,
        );
        return;
      case 'auth':
        await this.renew(connection, frame);
        return;
    }
  }

  private spendPresenceBudget(connection: ClientConnection): void {
    const now = performance.now();
    if (connection.presenceBudget.take(now)) return;
    const wait = coolDownMs(connection.presenceBudget.msUntilToken(now));
    throw MessagingException.rateLimited(wait, 'Too many presence changes');
  }

  private spendFrameBudget(connection: ClientConnection): void {
    const now = performance.now();
    if (connection.frameBudget.take(now)) return;
    const wait = coolDownMs(connection.frameBudget.msUntilToken(now));
    throw MessagingException.rateLimited(wait, 'Too many frames');
  }

  /**
   * `auth`: a fresh access token of the same user moves the socket's authorization (and its
   * resume ticket) on to the token's expiry (and to its session, if the user logged in again). A
   * token of an ended session closes the socket at once (4001); any other bad token is an error
   * frame, and the socket keeps its old expiry.
   */
  private async renew(connection: ClientConnection, frame: AuthFrame): Promise<void> {
    const principal = await this.tokens.verify(frame.token).catch((err: unknown) => {
      if (err instanceof AccountsException && err.reason === AccountsErrorReason.SessionEnded) {
        connection.closeSessionEnded();
      }
      throw err;
    });
    if (principal.userId !== connection.userId) throw AccountsException.invalidAccessToken();
    connection.sessionId = principal.sessionId;
    connection.authorizeUntil(principal.expiresAt * 1000);
    if (connection.resumeTicket) {
      await this.resumeTickets.extend(
        connection.resumeTicket,
        connection.resumable(this.config.GATEWAY_ID),
      );
    }
    connection.send({
      type: 'auth.ok',
      ...(frame.ref !== undefined ? { ref: frame.ref } : {}),
      expiresAt: new Date(connection.expiresAt).toISOString(),
    });
  }
}

export function errorFrame(
  code: ErrorCode,
  message: string,
  echo: { ref?: string; clientMsgId?: string; retryAfterMs?: number } = {},
): ErrorFrame {
  return { type: 'error', ...echo, code, message };
}
