import type { ServerFrame } from '@parley/common';

const TYPES = new Set([
  'hello',
  'auth.ok',
  'accepted',
  'ack',
  'message',
  'sync.page',
  'history.page',
  'error',
]);

/**
 * Parses one WebSocket text message into a server frame. Only the envelope is checked (an object
 * with a known `type`); unknown types are ignored so a newer server does not break an older CLI.
 */
export function parseServerFrame(data: string): ServerFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !TYPES.has(type)) return undefined;
  return value as ServerFrame;
}
