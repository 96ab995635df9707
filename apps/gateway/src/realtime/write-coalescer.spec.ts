import { WriteCoalescer, streamOf, type Corkable } from './write-coalescer';

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

describe('WriteCoalescer', () => {
  it('corks each stream once per turn and uncorks all of them in one scheduled flush', () => {
    const flushes: Array<() => void> = [];
    const coalescer = new WriteCoalescer((flush) => flushes.push(flush));
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

  it('leaves destroyed streams alone', () => {
    const flushes: Array<() => void> = [];
    const coalescer = new WriteCoalescer((flush) => flushes.push(flush));
    const dead = new Stream();
    dead.destroyed = true;
    coalescer.hold(dead);
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
