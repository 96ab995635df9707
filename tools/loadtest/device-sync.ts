import { createHash } from 'node:crypto';
import { type ConversationStates, type SyncRoundSource } from '@parley/client';
import { type ConversationState, type StateSummary, stateSummary } from '@parley/protocol';

/**
 * The summary of the states a device holds (docs/PROTOCOL.md "A summary first"), hashed in native
 * code: the generator shares the machine with the stack it measures.
 */
export function summaryOf(states: readonly ConversationState[]): StateSummary {
  return stateSummary(states, (data) => new Uint8Array(createHash('sha256').update(data).digest()));
}

/**
 * What a load-tool device names in its sync rounds: the state of a conversation whose messages it
 * holds in `states`, the tail of any other (a held state without its messages cannot be brought
 * forward) and of every unknown one; `held` after a summary that did not match.
 */
export function tailingSource(
  states: ConversationStates,
  held: () => readonly ConversationState[],
): SyncRoundSource {
  return {
    held,
    item: (id) => (states.has(id) ? states.state(id) : { conversationId: id, tail: true }),
    unknown: (u) => ({ conversationId: u.conversationId, tail: true }),
  };
}
