import {
  BEARER_SUBPROTOCOL_PREFIX,
  deviceIdSchema,
  ErrorCode,
  PARLEY_SUBPROTOCOL,
} from '@parley/protocol';
import { TICKET_PATTERN } from '../connect/connect-ticket';
import type { DirectConnect } from '../connect/connect.service';

export const WS_PATH = '/ws';

/** Why an upgrade is refused before anything is looked up: the HTTP answer to give. */
export interface UpgradeRefusal {
  status: number;
  code: ErrorCode;
  message: string;
}

/** A socket opened without a ticket: the access token from its header, and what its URL asks. */
export interface DirectUpgrade extends DirectConnect {
  accessToken: string;
}

export type UpgradeTarget =
  | { ok: true; ticket: string }
  | { ok: true; direct: DirectUpgrade }
  | { ok: false; refusal: UpgradeRefusal };

/** Request targets longer than this are refused outright (a ticket URL is ~60 characters). */
const MAX_TARGET_LENGTH = 2048;
/** `Bearer ` and a JWT's three base64url parts; an access token is about 300 characters. */
const BEARER_PATTERN = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;
const MAX_AUTHORIZATION_LENGTH = 4096;

/**
 * The WebSocket request target and its `Authorization` and `Sec-WebSocket-Protocol` headers ->
 * the ticket, or the access token of a socket opened directly (no ticket in the URL: the token in
 * the header, or, from a browser, in a `parley.bearer.<token>` subprotocol) with what its URL asks
 * (`device`, `sync`), or the refusal. Never throws, whatever the client sent: an unparseable
 * target (e.g. `//[`, which makes `new URL()` throw) or a malformed `device`/`sync` is a 400, a
 * path other than /ws a 404, a malformed ticket, or neither a ticket nor a bearer token, a 401. A
 * ticket wins over a token.
 */
export function parseUpgradeTarget(
  target: string | undefined,
  authorization?: string,
  protocols?: string,
): UpgradeTarget {
  if (target === undefined || target.length === 0 || target.length > MAX_TARGET_LENGTH) {
    return refuse(400, ErrorCode.ValidationFailed, 'Malformed request target');
  }
  let url: URL;
  try {
    url = new URL(target, 'http://gateway');
  } catch {
    return refuse(400, ErrorCode.ValidationFailed, 'Malformed request target');
  }
  if (url.pathname !== WS_PATH) return refuse(404, ErrorCode.NotFound, 'No such route');
  const ticket = url.searchParams.get('ticket');
  const bearer = authorization ?? bearerOfProtocols(protocols);
  if (ticket === null && bearer !== undefined) return directUpgrade(url, bearer);
  if (!ticket || !TICKET_PATTERN.test(ticket)) {
    return refuse(401, ErrorCode.Unauthorized, 'Missing or malformed connect ticket');
  }
  return { ok: true, ticket };
}

function directUpgrade(url: URL, authorization: string): UpgradeTarget {
  const bearer =
    authorization.length <= MAX_AUTHORIZATION_LENGTH ? BEARER_PATTERN.exec(authorization) : null;
  if (!bearer) return refuse(401, ErrorCode.Unauthorized, 'Malformed bearer token');
  const device = url.searchParams.get('device');
  const sync = url.searchParams.get('sync');
  if (device !== null && !deviceIdSchema.safeParse(device).success) {
    return refuse(400, ErrorCode.ValidationFailed, 'Malformed device id');
  }
  if (sync !== null && sync !== 'v2') {
    return refuse(400, ErrorCode.ValidationFailed, 'Unknown sync version');
  }
  return {
    ok: true,
    direct: {
      accessToken: bearer[1],
      ...(device !== null ? { deviceId: device } : {}),
      ...(sync !== null ? { sync } : {}),
    },
  };
}

/**
 * Browsers always send Origin on a WebSocket handshake; a page on another site must not open a
 * socket here with the user's ticket. Native clients send none and are let through (anyone can
 * forge the header outside a browser: this protects browsers, the ticket protects the rest).
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  return allowed.includes(origin.toLowerCase().replace(/\/$/, ''));
}

/**
 * A browser's bearer subprotocol as an `Authorization` value (`Bearer <token>`), when the
 * handshake offers it beside `parley`; undefined otherwise.
 */
function bearerOfProtocols(header: string | undefined): string | undefined {
  if (header === undefined || header.length > MAX_AUTHORIZATION_LENGTH) return undefined;
  const offered = header.split(',').map((p) => p.trim());
  const carrier = offered.find((p) => p.startsWith(BEARER_SUBPROTOCOL_PREFIX));
  if (carrier === undefined || !offered.includes(PARLEY_SUBPROTOCOL)) return undefined;
  return `Bearer ${carrier.slice(BEARER_SUBPROTOCOL_PREFIX.length)}`;
}

/**
 * The subprotocol the gateway selects: `parley` when offered (a socket opened directly from a
 * browser), none otherwise. The bearer subprotocol is never selected, so the token is not echoed.
 */
export function selectProtocol(offered: ReadonlySet<string>): string | false {
  return offered.has(PARLEY_SUBPROTOCOL) ? PARLEY_SUBPROTOCOL : false;
}

function refuse(status: number, code: ErrorCode, message: string): UpgradeTarget {
  return { ok: false, refusal: { status, code, message } };
}
