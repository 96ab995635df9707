import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, RedisKeys } from '@parley/common';
import type { GatewayConfig } from '../config/gateway.config';
import { ConnectionControlPublisher } from '../connections/connection-control.publisher';
import { MessagingException } from '../errors/messaging.exception';
import { retryAfter, ThrottleCountersRepository } from '../throttling/throttle-counters.repository';
import { UserDirectoryRepository, UserSummary } from '../users/user-directory.repository';
import { ContactRow, ContactsRepository } from './contacts.repository';

export const USER_SEARCH_MAX_LIMIT = 50;
export const USER_SEARCH_DEFAULT_LIMIT = 20;

/** Finding people by username and keeping an address book. */
@Injectable()
export class ContactsService {
  constructor(
    private readonly users: UserDirectoryRepository,
    private readonly contacts: ContactsRepository,
    private readonly throttle: ThrottleCountersRepository,
    private readonly control: ConnectionControlPublisher,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'USER_SEARCH_MAX_PER_MINUTE'>,
  ) {}

  /**
   * Usernames starting with `prefix`. At most USER_SEARCH_MAX_PER_MINUTE searches per user per
   * minute: the user list is public, but not to be scraped at full speed.
   */
  async search(
    userId: string,
    prefix: string,
    limit = USER_SEARCH_DEFAULT_LIMIT,
  ): Promise<UserSummary[]> {
    const [searches] = await this.throttle.hit([RedisKeys.throttle('search', userId)], 60);
    if (searches.count > this.config.USER_SEARCH_MAX_PER_MINUTE) {
      throw MessagingException.rateLimited(
        retryAfter(searches.ttlSeconds, 60) * 1000,
        'Too many searches',
      );
    }
    return this.users.searchByPrefix(prefix, Math.min(limit, USER_SEARCH_MAX_LIMIT));
  }

  list(ownerId: string): Promise<ContactRow[]> {
    return this.contacts.list(ownerId);
  }

  /** Adds the user named `username`; true if newly added. */
  async add(ownerId: string, username: string): Promise<boolean> {
    const contact = await this.resolve(username);
    if (contact.id === ownerId) {
      throw MessagingException.invalid('username', 'cannot add yourself');
    }
    const added = await this.contacts.add(ownerId, contact.id);
    if (added) await this.control.presenceRulesChanged([ownerId]);
    return added;
  }

  async remove(ownerId: string, username: string): Promise<void> {
    const contact = await this.resolve(username);
    await this.contacts.remove(ownerId, contact.id);
    await this.control.presenceRulesChanged([ownerId]);
  }

  private async resolve(username: string): Promise<UserSummary> {
    const user = await this.users.findByUsername(username);
    if (!user) throw MessagingException.unknownUser('username');
    return user;
  }
}
