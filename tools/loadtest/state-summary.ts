import { createHash } from 'node:crypto';
import { type ConversationState, type StateSummary, stateSummary } from '@parley/protocol';

/**
 * The summary of the states a device holds (docs/PROTOCOL.md "A summary first"), hashed in native
 * code: the generator shares the machine with the stack it measures.
 */
export function summaryOf(states: readonly ConversationState[]): StateSummary {
  return stateSummary(states, (data) => new Uint8Array(createHash('sha256').update(data).digest()));
}
