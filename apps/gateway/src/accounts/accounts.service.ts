import { Injectable } from '@nestjs/common';
import { AccountEventsPublisher } from './account-events.publisher';
import { toUserView, UserView } from './account.view';
import { AccountsException } from './accounts.exception';
import { emailKey, RegisterInput, usernameKey } from './auth.schemas';
import { PasswordHasher } from './password-hasher.service';
import { UsersRepository } from './users.repository';

@Injectable()
export class AccountsService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly events: AccountEventsPublisher,
  ) {}

  /**
   * Creates an account. Uniqueness of username and email (case-insensitive) is decided by the
   * database's unique indexes, so concurrent registrations on different gateways yield exactly one
   * account and clean conflicts for the rest. The event goes out only after the commit.
   */
  async register(input: RegisterInput, correlationId?: string): Promise<UserView> {
    const passwordHash = await this.hasher.hash(input.password);
    const result = await this.users.create({
      username: input.username,
      usernameKey: usernameKey(input.username),
      email: input.email,
      emailKey: emailKey(input.email),
      realName: input.realName,
      passwordHash,
    });
    if (!result.ok) {
      throw result.conflict === 'username'
        ? AccountsException.usernameTaken()
        : AccountsException.emailTaken();
    }
    await this.events.registered(result.user, correlationId);
    return toUserView(result.user);
  }

  async getProfile(userId: string): Promise<UserView> {
    const user = await this.users.findById(userId);
    if (!user) throw AccountsException.invalidAccessToken();
    return toUserView(user);
  }
}
