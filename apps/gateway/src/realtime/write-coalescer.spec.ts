import { WriteCoalescer, streamOf, type CoalescerClock, type Corkable } from './write-coalescer';

class Stream implements Corkable {
  depth = 0;
  destroyed = false;
  readonly log: string[] = [];
  cork(): void {
    this.depth++;
    this.log.push('cork');
  }
  uncork(): void {
    this.depth--;
    this.log.push('uncork');
  }
}

/** A clock driven by hand: end-of-turn flushes and timers run when the test says. */
class HandClock implements CoalescerClock {
  time = 0;
  readonly flushes: Array<() => void> = [];
  readonly timers: Array<{ at: number; fire: () => void }> = [];
  endOfTurn(flush: () => void): void {
    this.flushes.push(flush);
  }
  after(ms: number, fire: () => void): void {
    this.timers.push({ at: this.time + ms, fire });
  }
  now(): number {
    return this.time;
  }
  /** Moves the clock on, firing the timers due by then in time order. */
  advance(ms: number): void {
    this.time += ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= this.time).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.timers.splice(this.timers.indexOf(due), 1);
      due.fire();
    }
  }
  endTurn(): void {
    this.flushes.splice(0).forEach((f) => f());
  }
}

/** Only the end of turn matters to these tests. */
function turnClock(flushes: Array<() => void>): CoalescerClock {
  return { endOfTurn: (flush) => flushes.push(flush), after: () => undefined, now: () => 0 };
}

describe('WriteCoalescer', () => {
  it('corks each stream once per turn and uncorks all of them in one scheduled flush', () => {
    const flushes: Array<() => void> = [];
    const coalescer = new WriteCoalescer(turnClock(flushes));
    const a = new Stream();
    const b = new Stream();
    coalescer.hold(a);
    coalescer.hold(a);
    coalescer.hold(b);
    expect(flushes).toHaveLength(1);
    expect([a.depth, b.depth]).toEqual([1, 1]);
    expect(coalescer.holding).toBe(2);
    flushes[0]();
    expect([a.depth, b.depth]).toEqual([0, 0]);
    expect(a.log).toEqual(['cork', 'uncork']);
    expect(coalescer.holding).toBe(0);
    // The next turn schedules a new flush.
    coalescer.hold(a);
    expect(flushes).toHaveLength(2);
    flushes[1]();
    expect(a.depth).toBe(0);
  });

  it('keeps a lingering stream corked until its time is up, then uncorks it once', () => {
    const clock = new HandClock();
    const coalescer = new WriteCoalescer(clock);
    const a = new Stream();
    coalescer.linger(a, 50);
    coalescer.linger(a, 50);
    expect(a.depth).toBe(1);
    expect(clock.flushes).toHaveLength(0);
    clock.advance(49);
    expect(a.depth).toBe(1);
    expect(coalescer.holding).toBe(1);
    clock.advance(1);
    expect(a.log).toEqual(['cork', 'uncork']);
    expect(coalescer.holding).toBe(0);
  });

  it('lets a later frame take a lingering stream along at the end of its turn', () => {
    const clock = new HandClock();
    const coalescer = new WriteCoalescer(clock);
    const a = new Stream();
    coalescer.linger(a, 50);
    clock.advance(10);
    coalescer.hold(a);
    expect(a.depth).toBe(1);
    clock.endTurn();
    expect(a.log).toEqual(['cork', 'uncork']);
    // The linger's timer finds nothing left to uncork.
    clock.advance(40);
    expect(a.log).toEqual(['cork', 'uncork']);
    expect(a.depth).toBe(0);
  });

  it('does not linger a stream already held this turn: it leaves with the turn', () => {
    const clock = new HandClock();
    const coalescer = new WriteCoalescer(clock);
    const a = new Stream();
    coalescer.hold(a);
    coalescer.linger(a, 50);
    clock.endTurn();
    expect(a.log).toEqual(['cork', 'uncork']);
    clock.advance(50);
    expect(a.log).toEqual(['cork', 'uncork']);
  });

  it('uncorks each lingering stream at its own time, re-arming for the next', () => {
    const clock = new HandClock();
    const coalescer = new WriteCoalescer(clock);
    const [a, b, c] = [new Stream(), new Stream(), new Stream()];
    coalescer.linger(a, 50);
    clock.advance(20);
    coalescer.linger(b, 50);
    // A shorter linger than the armed timer's arms an earlier one.
    coalescer.linger(c, 10);
    clock.advance(10);
    expect([a.depth, b.depth, c.depth]).toEqual([1, 1, 0]);
    clock.advance(20);
    expect([a.depth, b.depth, c.depth]).toEqual([0, 1, 0]);
    clock.advance(19);
    expect(b.depth).toBe(1);
    clock.advance(1);
    expect([a.depth, b.depth, c.depth]).toEqual([0, 0, 0]);
    expect([a.log, b.log, c.log].map((l) => l.length)).toEqual([2, 2, 2]);
  });

  it('treats a linger of 0 as a hold', () => {
    const clock = new HandClock();
    const coalescer = new WriteCoalescer(clock);
    const a = new Stream();
    coalescer.linger(a, 0);
    expect(clock.timers).toHaveLength(0);
    clock.endTurn();
    expect(a.log).toEqual(['cork', 'uncork']);
  });

  it('leaves destroyed streams alone', () => {
    const flushes: Array<() => void> = [];
    const coalescer = new WriteCoalescer(turnClock(flushes));
    const dead = new Stream();
    dead.destroyed = true;
    coalescer.hold(dead);
    coalescer.linger(dead, 50);
    expect(dead.log).toEqual([]);
    expect(flushes).toHaveLength(0);
  });

  it('finds the TCP stream under a ws socket, or nothing before the upgrade', () => {
    const stream = new Stream();
    expect(streamOf({ _socket: stream })).toBe(stream);
    expect(streamOf({})).toBeUndefined();
    expect(streamOf({ _socket: { cork: 1 } })).toBeUndefined();
  });
});
