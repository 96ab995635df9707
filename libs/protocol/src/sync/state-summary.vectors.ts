import type { SummarisedState } from './state-summary';
import { EMPTY_STATE_DIGEST } from './state-digest';

/**
 * Test vectors for the summary (docs/PROTOCOL.md lists them too), over the state digests of
 * STATE_VECTORS: the five messages (held up to 5) and the twelve read from seq 6 (up to 12).
 * Checked by an independent implementation (Python's hashlib) when written.
 */
export interface SummaryVector {
  name: string;
  states: SummarisedState[];
  digest: string;
}

export const SUMMARY_C1 = '1732000000000-0123456789abcdef0123456789abcdef';
export const SUMMARY_C2 = '1732000000001-fedcba9876543210fedcba9876543210';
export const SUMMARY_C3 = '1732000000000-00000000000000000000000000000000';
const FIVE = 'cb17171e12362ccff3e757f5537c151c6a3c962c6a94e22c94c1a85af412b892';
const TWELVE_FROM_SIX = '6293538da18da401f8fc5ddbc98b355359a5a0838a49bdc8d3f0d056f708e1da';

export const SUMMARY_VECTORS: SummaryVector[] = [
  {
    name: 'one empty conversation',
    states: [{ conversationId: SUMMARY_C1, lastSeq: 0, digest: EMPTY_STATE_DIGEST }],
    digest: '2db356ed96182b70602fbfbd4f122106519551d339e4d3e74f9cbd037a6a89a0',
  },
  {
    name: 'two conversations, listed out of order (the example in docs/PROTOCOL.md)',
    states: [
      { conversationId: SUMMARY_C2, lastSeq: 5, digest: FIVE },
      { conversationId: SUMMARY_C1, lastSeq: 0, digest: EMPTY_STATE_DIGEST },
    ],
    digest: '08393a6bf7bcc5df990f328895c2474eec7ba1e8f620fc4eccdf5007e152adda',
  },
  {
    name: 'three conversations, listed out of order, one read from seq 6',
    states: [
      { conversationId: SUMMARY_C2, lastSeq: 5, digest: FIVE },
      { conversationId: SUMMARY_C1, lastSeq: 0, digest: EMPTY_STATE_DIGEST },
      { conversationId: SUMMARY_C3, lastSeq: 12, fromSeq: 6, digest: TWELVE_FROM_SIX },
    ],
    digest: '8e1319b0f6ad510567201913cea33109bd11cf740878fb57592de5bb2fe2e5ce',
  },
];
