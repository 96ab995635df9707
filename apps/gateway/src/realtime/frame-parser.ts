import {
  authFrameSchema,
  CLIENT_FRAME_TYPES,
  ClientFrame,
  clientMsgIdSchema,
  deliveredFrameSchema,
  ErrorCode,
  historyFrameSchema,
  readFrameSchema,
  sendFrameSchema,
  syncFrameSchema,
} from '@parley/common';
import type { z } from 'zod';

export interface FrameProblem {
  code: ErrorCode;
  message: string;
  ref?: string;
  clientMsgId?: string;
}

export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; problem: FrameProblem };

type ClientFrameType = (typeof CLIENT_FRAME_TYPES)[number];

const SCHEMAS: Record<ClientFrameType, z.ZodTypeAny> = {
  send: sendFrameSchema,
  sync: syncFrameSchema,
  delivered: deliveredFrameSchema,
  read: readFrameSchema,
  history: historyFrameSchema,
  auth: authFrameSchema,
};

/**
 * One client text frame -> a validated ClientFrame, or the problem to answer with: malformed
 * JSON, a missing or unknown `type` (named), or invalid fields (each named; unknown fields such as
 * `from` or `senderId` are refused, so identity can never come from a frame). The problem carries
 * the frame's `ref` / `clientMsgId` when they are present and well-formed.
 */
export function parseClientFrame(raw: string): ParsedFrame {
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
  const echo = {
    ...(echoable(record.ref) ? { ref: record.ref } : {}),
    ...(clientMsgIdSchema.safeParse(record.clientMsgId).success
      ? { clientMsgId: record.clientMsgId as string }
      : {}),
  };
  if (typeof record.type !== 'string') return invalid('Frame needs a string "type"', echo);
  if (!(CLIENT_FRAME_TYPES as readonly string[]).includes(record.type)) {
    return invalid(`Unknown frame type "${record.type.slice(0, 32)}"`, echo);
  }
  const result = SCHEMAS[record.type as ClientFrameType].safeParse(value);
  if (result.success) return { ok: true, frame: result.data as ClientFrame };
  const fields = result.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((k) => `${k} (unknown field)`)
      : [`${issue.path.join('.') || '(frame)'} (${issue.message})`],
  );
  return invalid(`Invalid ${record.type} frame: ${fields.join(', ')}`, echo);
}

function echoable(v: unknown): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= 64;
}

function invalid(message: string, echo: Partial<FrameProblem> = {}): ParsedFrame {
  return { ok: false, problem: { code: ErrorCode.ValidationFailed, message, ...echo } };
}
