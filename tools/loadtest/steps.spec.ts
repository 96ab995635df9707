import { planSteps, sumCounters, verdict } from './steps';
import { emptyCounters } from './ipc';

describe('planSteps', () => {
  it('makes one step per rate, after an unjudged warm-up at the first rate when asked', () => {
    expect(planSteps([100, 500], 30)).toEqual([
      { rate: 100, durationS: 30, warmup: false },
      { rate: 500, durationS: 30, warmup: false },
    ]);
    expect(planSteps([100, 500], 30, 20)[0]).toEqual({ rate: 100, durationS: 20, warmup: true });
  });
});

describe('sumCounters and verdict', () => {
  it('sums every counter of the workers, and words the verdict', () => {
    const a = { ...emptyCounters(), sent: 2, acked: 1 };
    const b = { ...emptyCounters(), sent: 3, duplicates: 1 };
    expect(sumCounters([a, b])).toMatchObject({ sent: 5, acked: 1, duplicates: 1 });
    expect(verdict({ passed: true, failReasons: [], generatorBehind: false })).toBe('pass');
    expect(
      verdict({ passed: false, failReasons: ['2 lost', '1 unacked'], generatorBehind: true }),
    ).toBe('FAIL (2 lost, 1 unacked) [generator fell behind: results are a lower bound]');
  });
});
