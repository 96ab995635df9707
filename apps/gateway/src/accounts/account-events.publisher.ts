import { Injectable, Logger } from '@nestjs/common';
import {
  AccountLoggedInV1,
  AccountLoggedOutV1,
  AccountRegisteredV1,
  AccountEvent,
  PayloadOf,
  Topic,
} from '@parley/common';
import { EventPublisher } from '@parley/kafka';

/**
 * Publishes account events after the database commit, keyed by user id (the unit of ordering).
 * The commit is the truth: if Kafka refuses the event the request still succeeds (the account
 * exists; failing would make a retry a 409) and the loss is logged with the user id.
 * A transactional outbox would close this gap; it is not built yet.
 */
@Injectable()
export class AccountEventsPublisher {
  private readonly logger = new Logger(AccountEventsPublisher.name);

  constructor(private readonly publisher: EventPublisher) {}

  registered(user: { id: string; username: string }, correlationId?: string): Promise<void> {
    return this.publish(
      AccountRegisteredV1,
      user.id,
      { userId: user.id, username: user.username },
      correlationId,
    );
  }

  loggedIn(userId: string, at: Date, correlationId?: string): Promise<void> {
    return this.publish(AccountLoggedInV1, userId, { userId, at: at.toISOString() }, correlationId);
  }

  loggedOut(userId: string, at: Date, correlationId?: string): Promise<void> {
    return this.publish(
      AccountLoggedOutV1,
      userId,
      { userId, at: at.toISOString() },
      correlationId,
    );
  }

  private async publish<C extends AccountEvent>(
    contract: C,
    userId: string,
    payload: PayloadOf<C>,
    correlationId?: string,
  ): Promise<void> {
    try {
      await this.publisher.publish(Topic.AccountEvents, userId, contract, payload, {
        correlationId,
      });
    } catch (err) {
      this.logger.error(
        { err, event: contract.type, userId, correlationId },
        'account event not published after commit',
      );
    }
  }
}
