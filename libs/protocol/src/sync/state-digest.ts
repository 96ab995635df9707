import { z } from 'zod/v4';

/**
 * A conversation's **state**: how far a device holds it (`lastSeq`) and a digest that proves what
 * it holds there. Client and server compare states to know they agree (sync v2, docs/PROTOCOL.md
 * "Sync"). Seqs are gap-free from 1, so `lastSeq` is also the conversation's message count n.
 * A member may read from a first seq f (`fromSeq`, 1 unless a group shows members its history
 * only from their joining): the window never reaches below it.
 *
 * The digest is SHA-256 over this byte string (all integers big-endian):
 *
 *     "parley.state.v1"                  15 ASCII bytes
 *     n                                  u64: lastSeq, the number of messages
 *     k                                  u8: min(10, n - f + 1), the entries that follow
 *     k entries, ascending seq (n-k+1 .. n), each:
 *       seq                              u64
 *       len(senderId), senderId          u8, UTF-8 bytes (the user id in canonical lowercase form)
 *       len(clientMsgId), clientMsgId    u8, UTF-8 bytes (ASCII by its pattern)
 *       SHA-256(UTF-8 bytes of the text) 32 bytes ('' for a message whose expiry passed)
 *
 * written as 64 lowercase hex digits. The empty conversation (n = 0) has a fixed digest,
 * EMPTY_STATE_DIGEST; a member holding nothing from f holds the state n = f - 1, k = 0
 * (emptyStateDigest(f)). With f = 1, k = min(10, n): f changes nothing for a member who reads
 * everything, and nothing either once n - 9 >= f. The hash function is passed in (node:crypto on the server, a pure-JS
 * SHA-256 in the client library), so this module stays dependency-free and runs everywhere.
 */
export const STATE_WINDOW = 10;
const MAGIC = 'parley.state.v1';

/** One message as the digest sees it. */
export interface StateEntry {
  seq: number;
  senderId: string;
  clientMsgId: string;
  /** SHA-256 of the text's UTF-8 bytes (32 bytes). */
  textSha256: Uint8Array;
}

export type Sha256 = (data: Uint8Array) => Uint8Array;

export const stateDigestSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex');

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/**
 * The seqs a state's window covers: the last min(10, lastSeq - fromSeq + 1) of the conversation,
 * none below `fromSeq` (the first seq the member may read). Empty (from > to) when the state
 * holds nothing: lastSeq = fromSeq - 1.
 */
export function stateWindow(lastSeq: number, fromSeq = 1): { from: number; to: number } {
  return { from: Math.max(fromSeq, lastSeq - STATE_WINDOW + 1, 1), to: lastSeq };
}

function pushU64(out: number[], value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a u64 seq: ${value}`);
  const high = Math.floor(value / 2 ** 32);
  const low = value >>> 0;
  for (const word of [high, low])
    out.push((word >>> 24) & 255, (word >>> 16) & 255, (word >>> 8) & 255, word & 255);
}

function pushShortString(out: number[], text: string, what: string): void {
  const bytes = utf8(text);
  if (bytes.length > 255) throw new RangeError(`${what} longer than 255 bytes`);
  out.push(bytes.length, ...bytes);
}

/**
 * The byte string hashed for a state. `entries` must be exactly the window of `lastSeq` from
 * `fromSeq` (ascending, seqs lastSeq-k+1 .. lastSeq); anything else throws, so a caller holding a
 * conversation with a hole in its window cannot produce a digest that looks valid.
 */
export function stateDigestInput(
  lastSeq: number,
  entries: readonly StateEntry[],
  fromSeq = 1,
): Uint8Array {
  if (!Number.isSafeInteger(fromSeq) || fromSeq < 1 || lastSeq < fromSeq - 1) {
    throw new RangeError(`a state at seq ${lastSeq} cannot start reading at seq ${fromSeq}`);
  }
  const { from } = stateWindow(lastSeq, fromSeq);
  const k = lastSeq - from + 1;
  if (entries.length !== k) {
    throw new RangeError(
      `a state at seq ${lastSeq} needs its last ${k} messages, got ${entries.length}`,
    );
  }
  const out: number[] = [...utf8(MAGIC)];
  pushU64(out, lastSeq);
  out.push(k);
  entries.forEach((entry, i) => {
    if (entry.seq !== from + i)
      throw new RangeError(`entry ${i} has seq ${entry.seq}, expected ${from + i}`);
    if (entry.textSha256.length !== 32) throw new RangeError('textSha256 must be 32 bytes');
    pushU64(out, entry.seq);
    pushShortString(out, entry.senderId, 'senderId');
    pushShortString(out, entry.clientMsgId, 'clientMsgId');
    out.push(...entry.textSha256);
  });
  return Uint8Array.from(out);
}

/**
 * The state digest (64 lowercase hex digits) of a conversation held up to `lastSeq`, read from
 * `fromSeq`.
 */
export function stateDigest(
  lastSeq: number,
  entries: readonly StateEntry[],
  sha256: Sha256,
  fromSeq = 1,
): string {
  return toHex(sha256(stateDigestInput(lastSeq, entries, fromSeq)));
}

/** The digest of holding nothing of a conversation read from `fromSeq` (n = fromSeq - 1, k = 0). */
export function emptyStateDigest(fromSeq: number, sha256: Sha256): string {
  return fromSeq === 1 ? EMPTY_STATE_DIGEST : stateDigest(fromSeq - 1, [], sha256, fromSeq);
}

/** The digest entry of a message, hashing its text with `sha256`. */
export function stateEntryOf(
  message: { seq: number; senderId: string; clientMsgId: string; text: string },
  sha256: Sha256,
): StateEntry {
  return {
    seq: message.seq,
    senderId: message.senderId,
    clientMsgId: message.clientMsgId,
    textSha256: sha256(utf8(message.text)),
  };
}

/**
 * The digest of the empty conversation (n = 0, no entries): SHA-256 of "parley.state.v1"
 * followed by nine zero bytes. A device that holds nothing of a conversation sends this.
 */
export const EMPTY_STATE_DIGEST =
  '7816e4aff02237d6a09ddb898afe9f81448b81c3f8e7e54f671fc2f655fe6561';
