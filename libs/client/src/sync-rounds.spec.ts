import {
  type ConversationState,
  EMPTY_STATE_DIGEST,
  SUMMARY_MAX_CONVERSATIONS,
  type SyncDoneFrame,
  SYNC_STATES_PER_FRAME,
} from '@parley/protocol';
import { type SyncRoundSource, SyncRounds } from './sync-rounds';

const id = (n: number) => `1763900000000-${n.toString(16).padStart(32, '0')}`;
const state = (n: number, lastSeq = 1): ConversationState => ({
  conversationId: id(n),
  lastSeq,
  digest: EMPTY_STATE_DIGEST,
});
const done = (over: Partial<SyncDoneFrame> = {}): SyncDoneFrame => ({
  type: 'sync.done',
  ref: 'r',
  converged: false,
  agreed: 0,
  messages: 0,
  behind: [],
  reset: [],
  gone: [],
  unknown: [],
  ...over,
});
/** A device that holds `held`, names touched and listed ones by state, unknown ones by tail. */
const source = (held: readonly ConversationState[]): SyncRoundSource => ({
  held: () => held,
  item: (conversationId) =>
    held.find((s) => s.conversationId === conversationId) ?? { conversationId, tail: true },
  unknown: (u) => ({ conversationId: u.conversationId, tail: true }),
});
const summarise = (states: readonly ConversationState[]) => ({
  conversations: states.length,
  digest: EMPTY_STATE_DIGEST,
});

describe('SyncRounds', () => {
  it('a device that holds nothing starts with one complete frame of no states', () => {
    const rounds = new SyncRounds('r', summarise);
    expect(rounds.start([])).toEqual([
      { type: 'sync.states', ref: 'r', states: [], complete: true, last: true },
    ]);
    expect(rounds.rounds).toBe(1);
  });

  it('a device that holds states starts with their summary; a mismatch sends them all, complete', () => {
    const held = [state(1), state(2), state(3)];
    const rounds = new SyncRounds('r', summarise);
    expect(rounds.start(held)).toEqual([
      {
        type: 'sync.states',
        ref: 'r',
        states: [],
        summary: { conversations: 3, digest: EMPTY_STATE_DIGEST },
        complete: true,
        last: true,
      },
    ]);
    expect(rounds.next(done(), source(held))).toEqual([
      { type: 'sync.states', ref: 'r', states: held, complete: true, last: true },
    ]);
    expect(rounds.rounds).toBe(2);
  });

  it('more states than a summary covers go as a complete round at once, in frames of 100', () => {
    const held = Array.from({ length: SUMMARY_MAX_CONVERSATIONS + 1 }, (_, n) => state(n));
    const frames = new SyncRounds('r', summarise).start(held);
    expect(frames).toHaveLength(Math.ceil(held.length / SYNC_STATES_PER_FRAME));
    expect(frames.every((f) => f.complete === true && f.summary === undefined)).toBe(true);
    expect(frames.map((f) => f.last)).toEqual(frames.map((_, i) => i === frames.length - 1));
    expect(frames.flatMap((f) => f.states)).toEqual(held);
  });

  it('after a round of states: the behind, reset, touched and unknown ones, once each, not the gone', () => {
    const held = [state(1), state(2), state(3), state(4), state(5)];
    const rounds = new SyncRounds('r', summarise);
    rounds.start([]);
    rounds.touch(id(3));
    rounds.touch(id(1));
    rounds.touch(id(5));
    const next = rounds.next(
      done({
        behind: [id(1), id(2)],
        reset: [id(4)],
        gone: [id(5)],
        unknown: [{ conversationId: id(9), lastSeq: 7, digest: EMPTY_STATE_DIGEST }],
      }),
      source(held),
    );
    expect(next).toEqual([
      {
        type: 'sync.states',
        ref: 'r',
        states: [state(1), state(2), state(4), state(3), { conversationId: id(9), tail: true }],
        last: true,
      },
    ]);
    // A round forgets what was touched in the one before; the sync remembers every one.
    expect(rounds.next(done(), source(held))).toEqual([
      { type: 'sync.states', ref: 'r', states: [], last: true },
    ]);
    expect([...rounds.touched].sort()).toEqual([id(1), id(3), id(5)]);
    expect(rounds.rounds).toBe(3);
  });

  it('a new sync starts its count and its touched conversations afresh', () => {
    const rounds = new SyncRounds('r', summarise);
    rounds.start([]);
    rounds.touch(id(1));
    rounds.next(done(), source([]));
    rounds.start([state(1)]);
    expect(rounds.rounds).toBe(1);
    expect(rounds.touched.size).toBe(0);
  });
});
