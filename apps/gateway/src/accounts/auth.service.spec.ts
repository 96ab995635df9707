import type { JwtService } from '@nestjs/jwt';
import type { GatewayConfig } from '../config/gateway.config';
import type { AccountEventsPublisher } from './account-events.publisher';
import { AccountsException, AccountsErrorReason } from './accounts.exception';
import { AuthService } from './auth.service';
import type { ConnectionControlPublisher } from '../connections/connection-control.publisher';
import type { ThrottleCountersRepository } from '../throttling/throttle-counters.repository';
import { loginThrottleKeys, type ThrottleCounters } from './login-throttle.policy';
import type { PasswordHasher } from './password-hasher.service';
import type { RefreshTokensRepository } from './refresh-tokens.repository';
import type { SessionsRepository } from './sessions.repository';
import type { UserEntity } from './user.entity';
import type { UsersRepository } from './users.repository';

const config = {
  LOGIN_THROTTLE_MAX_FAILURES: 5,
  LOGIN_THROTTLE_MAX_ADDRESS_FAILURES: 20,
  LOGIN_SLOWDOWN_AFTER_FAILURES: 10,
  LOGIN_MAX_DELAY_MS: 5000,
  LOGIN_THROTTLE_WINDOW_SECONDS: 900,
  REFRESH_TOKEN_TTL_DAYS: 30,
  JWT_ACCESS_TTL_SECONDS: 900,
} as GatewayConfig;

const alice = { id: 'u1', username: 'Alice', passwordHash: 'hash' } as UserEntity;

function setup(counters: ThrottleCounters, user: UserEntity | null, passwordOk: boolean) {
  const users = { findByUsernameKey: jest.fn().mockResolvedValue(user) };
  const throttle = {
    hit: jest.fn().mockResolvedValue([counters.pair, counters.address, counters.username]),
    release: jest.fn().mockResolvedValue(undefined),
    clear: jest.fn().mockResolvedValue(undefined),
  };
  const hasher = {
    verify: jest.fn().mockResolvedValue(passwordOk),
    verifyDummy: jest.fn().mockResolvedValue(undefined),
  };
  const service = new AuthService(
    users as unknown as UsersRepository,
    {} as RefreshTokensRepository,
    throttle as unknown as ThrottleCountersRepository,
    {} as SessionsRepository,
    {} as ConnectionControlPublisher,
    hasher as unknown as PasswordHasher,
    {} as JwtService,
    {} as AccountEventsPublisher,
    config,
  );
  return { service, users, throttle, hasher };
}

const count = (n: number, ttlSeconds = 900) => ({ count: n, ttlSeconds });
const under = { pair: count(1), address: count(1), username: count(1) };
const over = { pair: count(6, 120.5), address: count(1), username: count(6) };

async function reasonOf(promise: Promise<unknown>): Promise<AccountsErrorReason | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof AccountsException ? err.reason : undefined;
  }
}

describe('AuthService.verifyCredentials', () => {
  it('refuses a throttled attempt before touching the password, and gives the slot back', async () => {
    const { service, hasher, users, throttle } = setup(over, alice, true);
    const err = await service
      .verifyCredentials({ username: 'alice', password: 'pw' }, '10.0.0.1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccountsException);
    expect((err as AccountsException).reason).toBe(AccountsErrorReason.LoginThrottled);
    expect((err as AccountsException).details?.retryAfterSeconds).toBe(121);
    expect(users.findByUsernameKey).not.toHaveBeenCalled();
    expect(hasher.verify).not.toHaveBeenCalled();
    const keys = loginThrottleKeys('alice', '10.0.0.1');
    expect(throttle.release).toHaveBeenCalledWith(keys.pair, keys.address, keys.username);
  });

  it('verifies unknown users against the dummy hash and answers like a wrong password', async () => {
    const unknown = setup(under, null, false);
    const wrong = setup(under, alice, false);
    expect(
      await reasonOf(unknown.service.verifyCredentials({ username: 'x', password: 'p' }, 'a')),
    ).toBe(AccountsErrorReason.InvalidCredentials);
    expect(
      await reasonOf(wrong.service.verifyCredentials({ username: 'Alice', password: 'p' }, 'a')),
    ).toBe(AccountsErrorReason.InvalidCredentials);
    expect(unknown.hasher.verifyDummy).toHaveBeenCalledWith('p');
    expect(wrong.hasher.verify).toHaveBeenCalledWith('hash', 'p');
    // A failure keeps its reservation: it is the count.
    expect(unknown.throttle.release).not.toHaveBeenCalled();
    expect(wrong.throttle.clear).not.toHaveBeenCalled();
  });

  it('on success clears the pair and username counters and returns the address slot', async () => {
    const { service, throttle } = setup(under, alice, true);
    await expect(
      service.verifyCredentials({ username: 'ALICE', password: 'pw' }, '::1'),
    ).resolves.toBe(alice);
    const keys = loginThrottleKeys('alice', '::1');
    expect(throttle.hit).toHaveBeenCalledWith([keys.pair, keys.address, keys.username], 900);
    expect(throttle.clear).toHaveBeenCalledWith(keys.pair, keys.username);
    expect(throttle.release).toHaveBeenCalledWith(keys.address);
  });

  it('slows, but lets through, an attempt for a username failing from many addresses', async () => {
    jest.useFakeTimers();
    try {
      const many = { pair: count(1), address: count(1), username: count(11) };
      const { service, hasher } = setup(many, alice, true);
      let done = false;
      const attempt = service
        .verifyCredentials({ username: 'alice', password: 'pw' }, '10.0.0.9')
        .then(() => (done = true));
      await jest.advanceTimersByTimeAsync(249);
      expect(hasher.verify).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(1);
      await attempt;
      expect(done).toBe(true);
      expect(hasher.verify).toHaveBeenCalled();
    } finally {
      jest.useRealTimers();
    }
  });
});
