import { Histogram } from './histogram';
import { OpenLoopSchedule } from './schedule';

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
