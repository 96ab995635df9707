import { PingWheel, pingSlots } from './ping-wheel';

/** The tick (0-based) at which each item is due, over `ticks` turns. */
function dueTicks(wheel: PingWheel<string>, ticks: number): Map<string, number[]> {
  const due = new Map<string, number[]>();
  for (let t = 0; t < ticks; t++) {
    for (const item of wheel.turn()) due.set(item, [...(due.get(item) ?? []), t]);
  }
  return due;
}

describe('pingSlots', () => {
  it('cuts an interval into slices of at least 100 ms, at most 25', () => {
    expect(pingSlots(25_000)).toBe(25);
    expect(pingSlots(5_000)).toBe(25);
    expect(pingSlots(300)).toBe(3);
    expect(pingSlots(100)).toBe(1);
  });
});

describe('PingWheel', () => {
  it('spreads sockets over the slots and pings each once per turn of the wheel', () => {
    const wheel = new PingWheel<string>(4);
    const items = Array.from({ length: 8 }, (_, i) => `s${i}`);
    // Joining between ticks, as sockets do: two per tick.
    for (let t = 0; t < 4; t++) {
      wheel.add(items[2 * t]);
      wheel.add(items[2 * t + 1]);
      wheel.turn();
    }
    const due = dueTicks(wheel, 8);
    for (const item of items) expect(due.get(item)).toHaveLength(2);
    for (const ticks of due.values()) expect(ticks[1] - ticks[0]).toBe(4);
    const perTick = [0, 1, 2, 3].map((t) => [...due.values()].filter((d) => d[0] === t).length);
    expect(perTick).toEqual([2, 2, 2, 2]);
  });

  it('pings a socket first one whole interval after it joined', () => {
    const wheel = new PingWheel<string>(5);
    wheel.turn();
    wheel.turn();
    wheel.add('late');
    expect(dueTicks(wheel, 10).get('late')).toEqual([4, 9]);
  });

  it('forgets a removed socket, and adding twice keeps one place', () => {
    const wheel = new PingWheel<string>(3);
    wheel.add('a');
    wheel.add('a');
    wheel.add('b');
    wheel.remove('b');
    wheel.remove('never-added');
    expect(wheel.size).toBe(1);
    expect(wheel.slotCount).toBe(3);
    expect(dueTicks(wheel, 3)).toEqual(new Map([['a', [2]]]));
  });

  it('hands out a copy, so a socket closed while being pinged leaves the wheel safely', () => {
    const wheel = new PingWheel<string>(1);
    wheel.add('a');
    wheel.add('b');
    const due = wheel.turn();
    for (const item of due) wheel.remove(item);
    expect(due).toEqual(['a', 'b']);
    expect(wheel.turn()).toEqual([]);
  });
});
