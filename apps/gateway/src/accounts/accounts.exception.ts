import { AppException, ErrorCode } from '@parley/common';

/** Reasons an accounts operation is refused; mapped to the shared error codes for the wire. */
export enum AccountsErrorReason {
  UsernameTaken = 'username_taken',
  EmailTaken = 'email_taken',
  InvalidCredentials = 'invalid_credentials',
  LoginThrottled = 'login_throttled',
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

  static usernameTaken(): AccountsException {
    return new AccountsException(
      AccountsErrorReason.UsernameTaken,
      ErrorCode.Conflict,
      'Username is already taken',
      { fields: [{ field: 'username', message: 'is already taken' }] },
    );
  }

  static emailTaken(): AccountsException {
    return new AccountsException(
      AccountsErrorReason.EmailTaken,
      ErrorCode.Conflict,
      'Email is already registered',
      { fields: [{ field: 'email', message: 'is already registered' }] },
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
