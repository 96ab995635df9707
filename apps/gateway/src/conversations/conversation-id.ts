import { createHash, randomBytes } from 'node:crypto';

/**
 * A conversation id: `<creation ms, 13 digits>-<first 32 hex of sha256(members + salt)>`. Sortable
 * by creation, and unguessable (16 random bytes of salt), so knowing two users does not give the
 * id of their conversation.
 */
export function newConversationId(
  memberIds: readonly string[],
  now: number = Date.now(),
  salt: string = randomBytes(16).toString('hex'),
): string {
  const digest = createHash('sha256')
    .update(`${[...memberIds].sort().join(':')}:${salt}`)
    .digest('hex')
    .slice(0, 32);
  return `${String(now).padStart(13, '0')}-${digest}`;
}

/** The unique key of a direct (1:1) conversation: both member ids, sorted, joined with ':'. */
export function directPairKey(a: string, b: string): string {
  return [a, b].sort().join(':');
}
