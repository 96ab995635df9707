import { AppException } from '@parley/common';
import { ErrorCode } from '@parley/protocol';

/** Reasons a messaging action is refused; each maps to a shared error code for HTTP and WS. */
export enum MessagingErrorReason {
  InvalidInput = 'invalid_input',
  NotAMember = 'not_a_member',
  NotAnAdmin = 'not_an_admin',
  NotTheSender = 'not_the_sender',
  UnknownMessage = 'unknown_message',
  UnknownUser = 'unknown_user',
  KafkaUnavailable = 'kafka_unavailable',
  Overloaded = 'overloaded',
  RateLimited = 'rate_limited',
}

/** A domain error of messaging. Services throw these; HTTP and WebSocket layers map the code. */
export class MessagingException extends AppException {
  private constructor(
    readonly reason: MessagingErrorReason,
    code: ErrorCode,
    message: string,
    details?: AppException['details'],
  ) {
    super(code, message, details);
    this.name = 'MessagingException';
  }

  static invalid(field: string, message: string): MessagingException {
    return new MessagingException(
      MessagingErrorReason.InvalidInput,
      ErrorCode.ValidationFailed,
      `Invalid ${field}: ${message}`,
      { fields: [{ field, message }] },
    );
  }

  /**
   * Not a member, or no such conversation: one answer for both, so a non-member learns nothing
   * about which conversations exist.
   */
  static forbidden(): MessagingException {
    return new MessagingException(
      MessagingErrorReason.NotAMember,
      ErrorCode.Forbidden,
      'Not a member of this conversation',
    );
  }

  /** A channel member who is not an admin tried to post. */
  static notAnAdmin(): MessagingException {
    return new MessagingException(
      MessagingErrorReason.NotAnAdmin,
      ErrorCode.Forbidden,
      'Only admins post in this channel',
    );
  }

  /** A channel's admin asked who read a post: a channel has no read receipts. */
  static noChannelReceipts(): MessagingException {
    return new MessagingException(
      MessagingErrorReason.NotTheSender,
      ErrorCode.Forbidden,
      'A channel has no read receipts',
    );
  }

  /** A member asked about a message it did not send (or a membership event). */
  static notTheSender(): MessagingException {
    return new MessagingException(
      MessagingErrorReason.NotTheSender,
      ErrorCode.Forbidden,
      'Only the sender of a message can see who received it',
    );
  }

  static unknownMessage(): MessagingException {
    return new MessagingException(
      MessagingErrorReason.UnknownMessage,
      ErrorCode.NotFound,
      'No message at this seq',
    );
  }

  static unknownUser(field: string): MessagingException {
    return new MessagingException(
      MessagingErrorReason.UnknownUser,
      ErrorCode.NotFound,
      'No such user',
      { fields: [{ field, message: 'no such user' }] },
    );
  }

  static unavailable(): MessagingException {
    return new MessagingException(
      MessagingErrorReason.KafkaUnavailable,
      ErrorCode.Unavailable,
      'Could not accept it right now; retry with the same clientMsgId',
    );
  }

  /** Pushback: nothing was published; the client resends the same clientMsgId after a pause. */
  static overloaded(why: string): MessagingException {
    return new MessagingException(
      MessagingErrorReason.Overloaded,
      ErrorCode.Overloaded,
      `${why}; retry later with the same clientMsgId`,
      { retryAfterSeconds: 1, retryAfterMs: 1000 },
    );
  }

  /**
   * Over a send or frame budget (per socket or per user). Nothing was published; resend the same
   * clientMsgId, and everything sent after it, in order, after `retryAfterMs`.
   */
  static rateLimited(retryAfterMs: number, what = 'Sending too fast'): MessagingException {
    return new MessagingException(
      MessagingErrorReason.RateLimited,
      ErrorCode.RateLimited,
      `${what}; retry after ${retryAfterMs} ms`,
      { retryAfterSeconds: Math.ceil(retryAfterMs / 1000), retryAfterMs },
    );
  }
}
