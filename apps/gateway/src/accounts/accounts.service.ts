import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, RedisKeys } from '@parley/common';
import type { GatewayConfig } from '../config/gateway.config';
import { retryAfter, ThrottleCountersRepository } from '../throttling/throttle-counters.repository';
import { AccountEventsPublisher } from './account-events.publisher';
import { toUserView, UserView } from './account.view';
import { AccountsException } from './accounts.exception';
import type { RegisterBody } from '@parley/protocol';
import { emailKey, usernameKey } from './account-keys';
import { PasswordHasher } from './password-hasher.service';
import { usernameSkeleton } from './username-skeleton';
import { UsersRepository } from './users.repository';

@Injectable()
export class AccountsService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly events: AccountEventsPublisher,
    private readonly throttle: ThrottleCountersRepository,
    @Inject(APP_CONFIG)
    private readonly config: Pick<
      GatewayConfig,
      'REGISTER_MAX_PER_ADDRESS' | 'REGISTER_WINDOW_SECONDS' | 'REGISTER_EXEMPT_ADDRESSES'
    >,
  ) {}

  /**
   * Creates an account. At most REGISTER_MAX_PER_ADDRESS attempts per client address per window
   * (checked before the costly hash). Uniqueness of username (and its look-alikes) and email is
   * decided in the database, so concurrent registrations on different gateways yield exactly one
   * account and one and the same conflict answer for the rest. The event goes out after the commit.
   */
  async register(input: RegisterBody, address: string, correlationId?: string): Promise<UserView> {
    await this.throttleRegistration(address);
    const passwordHash = await this.hasher.hash(input.password);
    const result = await this.users.create({
      username: input.username,
      usernameKey: usernameKey(input.username),
      usernameSkeleton: usernameSkeleton(input.username),
      email: input.email,
      emailKey: emailKey(input.email),
      realName: input.realName,
      passwordHash,
    });
    if (!result.ok) throw AccountsException.registrationConflict(result.conflict);
    await this.events.registered(result.user, correlationId);
    return toUserView(result.user);
  }

  async getProfile(userId: string): Promise<UserView> {
    const user = await this.users.findById(userId);
    if (!user) throw AccountsException.invalidAccessToken();
    return toUserView(user);
  }

  private async throttleRegistration(address: string): Promise<void> {
    if (this.config.REGISTER_EXEMPT_ADDRESSES.includes(address)) return;
    const window = this.config.REGISTER_WINDOW_SECONDS;
    const [attempts] = await this.throttle.hit([RedisKeys.throttle('register', address)], window);
    if (attempts.count > this.config.REGISTER_MAX_PER_ADDRESS) {
      throw AccountsException.registrationThrottled(retryAfter(attempts.ttlSeconds, window));
    }
  }
}
