import { ErrorCode } from '../errors';
import { clientMsgIdSchema } from '../ids';
import { reportedIssues } from '../issues';
import { CLIENT_FRAME_SCHEMAS, type ClientFrame, type ClientFrameType } from './client-frames';
import { SERVER_FRAME_SCHEMAS, type ServerFrame, serverFrameSchema } from './server-frames';

/** Why a client frame is refused: the error frame's fields. */
export interface FrameProblem {
  code: ErrorCode;
  message: string;
  ref?: string;
  clientMsgId?: string;
}

export type DecodedClientFrame =
  { ok: true; frame: ClientFrame } | { ok: false; problem: FrameProblem };

/**
 * One client text frame -> a validated ClientFrame, or the problem to answer with: malformed
 * JSON, a missing or unknown `type` (named), or invalid fields (each named; unknown fields such as
 * `from` or `senderId` are refused, so identity can never come from a frame). The problem carries
 * the frame's `ref` / `clientMsgId` when they are present and well-formed. (The gateway's side.)
 */
export function decodeClientFrame(raw: string): DecodedClientFrame {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return invalid('Frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid('Frame must be a JSON object');
  }
  const record = value as Record<string, unknown>;
  if (typeof record.type !== 'string')
    return invalid('Frame needs a string "type"', echoOf(record));
  if (!Object.hasOwn(CLIENT_FRAME_SCHEMAS, record.type)) {
    return invalid(`Unknown frame type "${record.type.slice(0, 32)}"`, echoOf(record));
  }
  const result = CLIENT_FRAME_SCHEMAS[record.type as ClientFrameType].safeParse(value);
  if (result.success) return { ok: true, frame: result.data };
  const fields = reportedIssues(result.error.issues).flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((k) => `${k} (unknown field)`)
      : [`${issue.path.join('.') || '(frame)'} (${issue.message})`],
  );
  return invalid(`Invalid ${record.type} frame: ${fields.join(', ')}`, echoOf(record));
}

/**
 * The refused frame's `ref` and `clientMsgId`, where well-formed, for the error frame. Built only
 * for a refusal: on every accepted frame it would parse a usually absent id (a failed zod parse
 * allocates its issues) for nothing.
 */
function echoOf(record: Record<string, unknown>): Partial<FrameProblem> {
  return {
    ...(echoable(record.ref) ? { ref: record.ref } : {}),
    ...(record.clientMsgId !== undefined && clientMsgIdSchema.safeParse(record.clientMsgId).success
      ? { clientMsgId: record.clientMsgId as string }
      : {}),
  };
}

export type DecodedServerFrame =
  | { ok: true; frame: ServerFrame }
  | { ok: false; reason: 'malformed' | 'unknown-type' | 'invalid'; type?: string };

/**
 * One server text frame -> a validated ServerFrame. A frame of a type this client does not know
 * is `unknown-type` (a newer server: ignore it); anything else that does not match its schema is
 * `invalid`. (Every client's side.) `validate: false` skips the schema check (only the JSON and
 * a known `type` are checked): for a load generator holding thousands of sockets to a server it
 * trusts, where validating every frame would cost more than the server's own work.
 */
export function decodeServerFrame(
  raw: string,
  options: { validate?: boolean } = {},
): DecodedServerFrame {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') return { ok: false, reason: 'malformed' };
  if (!Object.hasOwn(SERVER_FRAME_SCHEMAS, type))
    return { ok: false, reason: 'unknown-type', type };
  if (options.validate === false) return { ok: true, frame: value as ServerFrame };
  const result = serverFrameSchema.safeParse(value);
  return result.success ? { ok: true, frame: result.data } : { ok: false, reason: 'invalid', type };
}

/** A frame as the text of one WebSocket message. */
export function encodeFrame(frame: ClientFrame | ServerFrame): string {
  return JSON.stringify(frame);
}

function echoable(v: unknown): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= 64;
}

function invalid(message: string, echo: Partial<FrameProblem> = {}): DecodedClientFrame {
  return { ok: false, problem: { code: ErrorCode.ValidationFailed, message, ...echo } };
}
