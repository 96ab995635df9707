import { createHash } from 'node:crypto';
import { type Sha256, stateDigest, type StateEntry, stateEntryOf } from '@parley/protocol';

/** SHA-256 by node:crypto, in the shape the protocol library's state digest takes. */
export const sha256: Sha256 = (data) => new Uint8Array(createHash('sha256').update(data).digest());

/** The state digest of a conversation held up to `lastSeq`, from its window's entries. */
export function digestOf(lastSeq: number, window: readonly StateEntry[]): string {
  return stateDigest(lastSeq, window, sha256);
}

/** The state digest of a tail of messages (ascending, the last min(10, n) of the conversation). */
export function digestOfTail(
  lastSeq: number,
  tail: readonly { seq: number; senderId: string; clientMsgId: string; text: string }[],
): string {
  return digestOf(
    lastSeq,
    tail.map((m) => stateEntryOf(m, sha256)),
  );
}
