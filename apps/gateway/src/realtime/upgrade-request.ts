import { ErrorCode } from '@parley/protocol';
import { TICKET_PATTERN } from '../connect/connect-ticket';

export const WS_PATH = '/ws';

/** Why an upgrade is refused before anything is looked up: the HTTP answer to give. */
export interface UpgradeRefusal {
  status: number;
  code: ErrorCode;
  message: string;
}

export type UpgradeTarget = { ok: true; ticket: string } | { ok: false; refusal: UpgradeRefusal };

/** Request targets longer than this are refused outright (a ticket URL is ~60 characters). */
const MAX_TARGET_LENGTH = 2048;

/**
 * The WebSocket request target -> its ticket, or the refusal. Never throws, whatever the client
 * sent: an unparseable target (e.g. `//[`, which makes `new URL()` throw) is a 400, a path other
 * than /ws a 404, a missing or malformed ticket a 401.
 */
export function parseUpgradeTarget(target: string | undefined): UpgradeTarget {
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
  if (!ticket || !TICKET_PATTERN.test(ticket)) {
    return refuse(401, ErrorCode.Unauthorized, 'Missing or malformed connect ticket');
  }
  return { ok: true, ticket };
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

function refuse(status: number, code: ErrorCode, message: string): UpgradeTarget {
  return { ok: false, refusal: { status, code, message } };
}
