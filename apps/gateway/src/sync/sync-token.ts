import { conversationIdSchema, seqSchema } from '@parley/protocol';
import { z } from 'zod/v4';

import type { StreamPosition } from '../read-model/messages.read-model';

/** A position in a device's offline stream, as the `next` token of a sync page names it. */
export type SyncPosition = StreamPosition;

const tokenSchema = z.object({ c: conversationIdSchema, s: seqSchema }).strict();

/**
 * The `next` token of a sync page: base64url of `{"c": conversationId, "s": seq}` of the last
 * message returned. Opaque to clients; it carries the position, so paging never depends on the
 * delivered cursors having moved yet.
 */
export function encodeSyncToken(position: SyncPosition): string {
  return Buffer.from(JSON.stringify({ c: position.conversationId, s: position.seq })).toString(
    'base64url',
  );
}

/**
 * The position a token names; `null` for the empty token (the start: only the delivered cursors
 * apply); `undefined` if it is not a token this gateway issued.
 */
export function decodeSyncToken(token: string): SyncPosition | null | undefined {
  if (token === '') return null;
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  try {
    const parsed = tokenSchema.safeParse(JSON.parse(Buffer.from(token, 'base64url').toString()));
    return parsed.success ? { conversationId: parsed.data.c, seq: parsed.data.s } : undefined;
  } catch {
    return undefined;
  }
}
