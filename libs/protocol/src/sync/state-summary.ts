import { z } from 'zod/v4';
import { type Sha256, stateDigestSchema, toHex, utf8 } from './state-digest';

/**
 * A device's **summary**: one digest over the states of every conversation it holds, so a
 * returning device that missed nothing proves it in one small frame instead of a hundred states
 * (docs/PROTOCOL.md "Sync", "A summary first"). SHA-256 over the UTF-8 text
 *
 *     parley.summary.v1 <c>\n
 *     <conversationId> <lastSeq> <fromSeq> <digest>\n      one line per conversation,
 *                                                         ascending conversationId (byte order)
 *
 * where c is the number of conversations, the seqs are decimal (fromSeq 1 when the state has
 * none) and the digest is the state digest's 64 lowercase hex digits; written as 64 lowercase hex
 * digits. Text, so that every side builds it with its platform's string and UTF-8 encoder, in
 * native code. The server computes it over its own states of the user's conversations; equal
 * summaries mean every state agrees.
 */
const MAGIC = 'parley.summary.v1';

/** The most conversations a summary may count (a round's most states, SYNC_ROUND_MAX_STATES). */
export const SUMMARY_MAX_CONVERSATIONS = 10_000;

/** What a summarised state needs: its conversation, seqs and state digest. */
export interface SummarisedState {
  conversationId: string;
  lastSeq: number;
  fromSeq?: number;
  digest: string;
}

export const stateSummarySchema = z
  .object({
    conversations: z.number().int().min(1).max(SUMMARY_MAX_CONVERSATIONS),
    digest: stateDigestSchema,
  })
  .strict();
export type StateSummary = z.output<typeof stateSummarySchema>;

/**
 * The text hashed for a summary of `states` (any order; each conversation once). Ids and digests
 * are as the protocol makes them (no space or line break in either): a device sums up what it
 * took from the server, a gateway what it read from its database.
 */
export function stateSummaryText(states: readonly SummarisedState[]): string {
  const sorted = [...states].sort((a, b) =>
    a.conversationId < b.conversationId ? -1 : a.conversationId > b.conversationId ? 1 : 0,
  );
  const lines = [`${MAGIC} ${sorted.length}\n`];
  sorted.forEach((s, i) => {
    if (i > 0 && sorted[i - 1].conversationId === s.conversationId) {
      throw new RangeError('a summary names each conversation once');
    }
    const fromSeq = s.fromSeq ?? 1;
    if (!isSeq(s.lastSeq) || !isSeq(fromSeq)) throw new RangeError('not a seq');
    lines.push(`${s.conversationId} ${s.lastSeq} ${fromSeq} ${s.digest}\n`);
  });
  return lines.join('');
}

const isSeq = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/** The summary of the states of every conversation a device holds (at least one). */
export function stateSummary(states: readonly SummarisedState[], sha256: Sha256): StateSummary {
  return {
    conversations: states.length,
    digest: toHex(sha256(utf8(stateSummaryText(states)))),
  };
}
