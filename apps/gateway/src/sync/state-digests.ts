import { createHash } from 'node:crypto';
import {
  emptyStateDigest,
  type Sha256,
  stateDigest,
  type StateEntry,
  stateEntryOf,
} from '@parley/protocol';

/** SHA-256 by node:crypto, in the shape the protocol library's state digest takes. */
export const sha256: Sha256 = (data) => new Uint8Array(createHash('sha256').update(data).digest());

/**
 * The state digest of a conversation held up to `lastSeq` and read from `fromSeq`, from its
 * window's entries.
 */
export function digestOf(lastSeq: number, window: readonly StateEntry[], fromSeq = 1): string {
  return stateDigest(lastSeq, window, sha256, fromSeq);
}

/** The state digest of a tail of messages (ascending: the window of `lastSeq` from `fromSeq`). */
export function digestOfTail(
  lastSeq: number,
  tail: readonly { seq: number; senderId: string; clientMsgId: string; text: string }[],
  fromSeq = 1,
): string {
  return digestOf(
    lastSeq,
    tail.map((m) => stateEntryOf(m, sha256)),
    fromSeq,
  );
}

/** The digest of holding nothing of a conversation read from `fromSeq`. */
export function emptyDigest(fromSeq: number): string {
  return emptyStateDigest(fromSeq, sha256);
}
