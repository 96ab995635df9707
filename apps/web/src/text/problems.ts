import { ApiError, GroupChangeError } from '@parley/client';
import { ErrorCode } from '@parley/protocol';

const BUSY = 'The server is busy: try again in a moment.';

/** Group change refusals in words, by code (others: the server's message as it is). */
const GROUP_REFUSALS: Partial<Record<string, (message: string) => string>> = {
  [ErrorCode.Forbidden]: (message) => `Not allowed: ${sentence(message)}`,
  [ErrorCode.ValidationFailed]: (message) => `Nothing changed: ${sentence(message)}`,
  [ErrorCode.NotFound]: () => 'No such user: check the usernames.',
  [ErrorCode.Unavailable]: () => 'Not connected: try again once the connection is back.',
  [ErrorCode.RateLimited]: () => BUSY,
  [ErrorCode.Overloaded]: () => BUSY,
};

/**
 * A refused group change in words, for the panel that asked for it: the server's own sentence
 * for `forbidden` and `validation_failed` ("Only admins can do that", "Everyone named is already
 * a member"), and what to do about the others.
 */
export function describeGroupError(err: unknown): string {
  if (!(err instanceof GroupChangeError)) return 'Something went wrong; try again.';
  const words = GROUP_REFUSALS[err.code];
  return words ? words(err.message) : sentence(err.message);
}

/** Why the receipts of a message could not be shown. */
export function describeInfoError(err: unknown): string {
  if (err instanceof ApiError) return `The server refused: ${sentence(err.describe())}`;
  return 'The server cannot be reached: try again when online.';
}

/** Why a search (of channels) found nothing to show. */
export function describeSearchError(err: unknown): string {
  if (err instanceof ApiError) return `The server refused: ${sentence(err.describe())}`;
  return 'Searching needs a connection: try again when online.';
}

/** Why the settings could not be read or changed. */
export function describeSettingsError(err: unknown): string {
  if (err instanceof ApiError) return `Not saved: ${sentence(err.describe())}`;
  return 'Settings need a connection: try again when online.';
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
