import { AppException } from '@parley/common';
import { ErrorCode } from '@parley/protocol';

/** Reasons an accounts operation is refused; mapped to the shared error codes for the wire. */
export enum AccountsErrorReason {
  UsernameTaken = 'username_taken',
  EmailTaken = 'email_taken',
  InvalidCredentials = 'invalid_credentials',
  LoginThrottled = 'login_throttled',
  RegistrationThrottled = 'registration_throttled',
  SessionEnded = 'session_ended',
  InvalidRefreshToken = 'invalid_refresh_token',
  InvalidAccessToken = 'invalid_access_token',
}

/** The one message for a wrong password and an unknown user, so neither is distinguishable. */
export const INVALID_CREDENTIALS_MESSAGE = 'Invalid username or password';

/** A domain error of the accounts module. Services throw these, never HTTP exceptions. */
export class AccountsException extends AppException {
  private constructor(
    readonly reason: AccountsErrorReason,
    code: ErrorCode,
    message: string,
    details?: AppException['details'],
  ) {
    super(code, message, details);
    this.name = 'AccountsException';
  }

  /**
   * The username (or one that looks like it) or the email is already registered. One answer for
   * both, naming neither: which email addresses have accounts is nobody's business. Registration
   * is throttled per address, so probing emails through it is slow.
   */
  static registrationConflict(reason: 'username' | 'email'): AccountsException {
    return new AccountsException(
      reason === 'username' ? AccountsErrorReason.UsernameTaken : AccountsErrorReason.EmailTaken,
      ErrorCode.Conflict,
      'That username (or one that looks like it) or that email is already registered',
    );
  }

  static registrationThrottled(retryAfterSeconds: number): AccountsException {
    return new AccountsException(
      AccountsErrorReason.RegistrationThrottled,
      ErrorCode.RateLimited,
      'Too many registrations from this address; try again later',
      { retryAfterSeconds },
    );
  }

  static sessionEnded(): AccountsException {
    return new AccountsException(
      AccountsErrorReason.SessionEnded,
      ErrorCode.Unauthorized,
      'This session has ended; log in again',
    );
  }

  static invalidCredentials(): AccountsException {
    return new AccountsException(
      AccountsErrorReason.InvalidCredentials,
      ErrorCode.Unauthorized,
      INVALID_CREDENTIALS_MESSAGE,
    );
  }

  static loginThrottled(retryAfterSeconds: number): AccountsException {
    return new AccountsException(
      AccountsErrorReason.LoginThrottled,
      ErrorCode.RateLimited,
      'Too many failed log-in attempts; try again later',
      { retryAfterSeconds },
    );
  }

  static invalidRefreshToken(): AccountsException {
    return new AccountsException(
      AccountsErrorReason.InvalidRefreshToken,
      ErrorCode.Unauthorized,
      'Invalid refresh token',
    );
  }

  static invalidAccessToken(): AccountsException {
    return new AccountsException(
      AccountsErrorReason.InvalidAccessToken,
      ErrorCode.Unauthorized,
      'Missing or invalid access token',
    );
  }
}
