/**
 * Every code a gateway closes a client socket with. Clients switch on them: reconnecting makes
 * sense after GoingAway, TryAgainLater and TokenExpired (with a fresh token), never after
 * SessionEnded or Replaced.
 */
export const CloseCode = {
  /** The client closed it (echoed in the close handshake). */
  Normal: 1000,
  /** The gateway is shutting down: reconnect through the directory. */
  GoingAway: 1001,
  /** A protocol violation ws refused (e.g. an unmasked or malformed frame). */
  ProtocolError: 1002,
  /** Not valid UTF-8 text. */
  InvalidPayload: 1007,
  /** A frame over the payload limit. */
  MessageTooBig: 1009,
  /** The client does not read: its outgoing data backed up past the limit. */
  TryAgainLater: 1013,
  /** The session was ended: logged out, or its refresh token was reused. Log in again. */
  SessionEnded: 4001,
  /** The access token the socket was authorized with expired and was not renewed (`auth`). */
  TokenExpired: 4002,
  /** The same device opened a newer socket; this one is superseded. */
  Replaced: 4003,
} as const;
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];
export const DOCUMENTED_CLOSE_CODES: readonly number[] = Object.values(CloseCode);

/** Closes after which reconnecting cannot help. */
export const FINAL_CLOSE_CODES: readonly number[] = [CloseCode.SessionEnded, CloseCode.Replaced];
