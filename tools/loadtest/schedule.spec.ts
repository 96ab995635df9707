import { Histogram } from './histogram';
import { OpenLoopSchedule, whileRunning } from './schedule';

describe('OpenLoopSchedule (coordinated omission)', () => {
  it('spaces messages by 1/rate from the start and stops at the total', () => {
    const schedule = new OpenLoopSchedule(1000, 200, 5); // every 5 ms
    const sent: Array<[number, number]> = [];
    expect(schedule.sendDue(999, (k, at) => sent.push([k, at]))).toBe(0);
    expect(schedule.waitMs(999)).toBe(1);
    schedule.sendDue(1010, (k, at) => sent.push([k, at]));
    expect(sent).toEqual([
      [0, 1000],
      [1, 1005],
      [2, 1010],
    ]);
    schedule.sendDue(10_000, (k, at) => sent.push([k, at]));
    expect(sent.map(([k]) => k)).toEqual([0, 1, 2, 3, 4]);
    expect(schedule.done).toBe(true);
    expect(schedule.waitMs(10_000)).toBe(Infinity);
  });

  it('charges a stall to every message scheduled during it, not just to the one in flight', () => {
    // 1000 msgs/s for 1 s; the server answers each send 1 ms after it actually goes out, except
    // for a 200 ms stall at t=500 during which the generator (waiting on it) sends nothing.
    const schedule = new OpenLoopSchedule(0, 1000, 1000);
    const fromScheduled = new Histogram();
    const fromActualSend = new Histogram();
    for (let now = 0; now < 1000; now++) {
      if (now > 500 && now < 700) continue; // stalled
      schedule.sendDue(now, (_k, scheduledAt) => {
        fromScheduled.record(now + 1 - scheduledAt);
        fromActualSend.record(1);
      });
    }
    expect(fromScheduled.count).toBe(1000);
    // Measured from the actual send, the stall is invisible: a closed-loop tool would report 1 ms.
    expect(fromActualSend.percentile(99)).toBe(1);
    // From the scheduled time, the ~200 messages due during the stall waited up to 200 ms.
    expect(fromScheduled.percentile(50)).toBeCloseTo(1, 2);
    expect(fromScheduled.percentile(90)).toBeGreaterThan(100);
    expect(fromScheduled.max).toBeCloseTo(200, 0);
  });
});

describe('whileRunning', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const deferred = <T>() => {
    let resolve!: (value: T) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
    return { promise, resolve, reject };
  };

  it('ticks every interval while the work runs, and never after it settled', async () => {
    const work = deferred<string>();
    let ticks = 0;
    const done = whileRunning(work.promise, 1000, () => {
      ticks++;
      return Promise.resolve();
    });
    await jest.advanceTimersByTimeAsync(3500);
    expect(ticks).toBe(3);
    work.resolve('seeded');
    await expect(done).resolves.toBe('seeded');
    await jest.advanceTimersByTimeAsync(5000);
    expect(ticks).toBe(3);
  });

  it('skips a turn while a tick is still running, and waits for it before settling', async () => {
    const work = deferred<number>();
    const slow = deferred<void>();
    let started = 0;
    let finished = false;
    const done = whileRunning(work.promise, 1000, async () => {
      started++;
      await slow.promise;
      finished = true;
    });
    await jest.advanceTimersByTimeAsync(4000);
    expect(started).toBe(1);
    work.reject(new Error('seeding failed'));
    let settled = false;
    void done.catch(() => (settled = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    slow.resolve();
    await expect(done).rejects.toThrow('seeding failed');
    expect(finished).toBe(true);
  });

  it('without a tick, is the work itself', async () => {
    await expect(whileRunning(Promise.resolve(7), 1000, undefined)).resolves.toBe(7);
  });
});
