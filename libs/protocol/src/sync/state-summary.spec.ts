import { createHash } from 'node:crypto';
import { EMPTY_STATE_DIGEST } from './state-digest';
import { stateSummary, stateSummarySchema, stateSummaryText } from './state-summary';
import { SUMMARY_C1, SUMMARY_C2, SUMMARY_VECTORS } from './state-summary.vectors';

const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

describe('state summary', () => {
  it.each(SUMMARY_VECTORS)('matches the test vector: $name', (vector) => {
    expect(stateSummary(vector.states, sha256)).toEqual({
      conversations: vector.states.length,
      digest: vector.digest,
    });
  });

  it('writes one line per state, after the count', () => {
    expect(
      stateSummaryText([
        {
          conversationId: SUMMARY_C2,
          lastSeq: 2 ** 40 + 5,
          fromSeq: 3,
          digest: EMPTY_STATE_DIGEST,
        },
        { conversationId: SUMMARY_C1, lastSeq: 0, digest: EMPTY_STATE_DIGEST },
      ]),
    ).toBe(
      'parley.summary.v1 2\n' +
        `${SUMMARY_C1} 0 1 ${EMPTY_STATE_DIGEST}\n` +
        `${SUMMARY_C2} 1099511627781 3 ${EMPTY_STATE_DIGEST}\n`,
    );
  });

  it('does not depend on the order states are listed in, and changes with any seq', () => {
    const three = SUMMARY_VECTORS[2];
    const reversed = [...three.states].reverse();
    expect(stateSummary(reversed, sha256).digest).toBe(three.digest);
    const moved = three.states.map((s, i) => (i === 0 ? { ...s, lastSeq: 4 } : s));
    expect(stateSummary(moved, sha256).digest).not.toBe(three.digest);
    const fromMoved = three.states.map((s, i) => (i === 1 ? { ...s, fromSeq: 1 } : s));
    // fromSeq absent is 1: the same summary.
    expect(stateSummary(fromMoved, sha256).digest).toBe(three.digest);
  });

  it('refuses a conversation named twice and a seq that is not one', () => {
    const state = { conversationId: SUMMARY_C2, lastSeq: 0, digest: EMPTY_STATE_DIGEST };
    expect(() => stateSummaryText([state, state])).toThrow(RangeError);
    expect(() => stateSummaryText([{ ...state, lastSeq: -1 }])).toThrow(RangeError);
    expect(() => stateSummaryText([{ ...state, fromSeq: 1.5 }])).toThrow(RangeError);
  });

  it('takes 1 to 10,000 conversations and a 64-hex digest, nothing else', () => {
    const ok = { conversations: 1, digest: EMPTY_STATE_DIGEST };
    expect(stateSummarySchema.safeParse(ok).success).toBe(true);
    for (const bad of [
      { ...ok, conversations: 0 },
      { ...ok, conversations: 10_001 },
      { ...ok, conversations: 1.5 },
      { ...ok, digest: 'x' },
      { ...ok, extra: true },
    ]) {
      expect(stateSummarySchema.safeParse(bad).success).toBe(false);
    }
  });
});
