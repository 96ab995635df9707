import { periodic, periodicTaskCount } from './periodic';

describe('periodic', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs every whole-second task on one shared timer, each at its own period', () => {
    const runs: string[] = [];
    const stops = [
      periodic(1000, () => runs.push('a')),
      periodic(1000, () => runs.push('b')),
      periodic(3000, () => runs.push('c')),
    ];
    try {
      expect(jest.getTimerCount()).toBe(1);
      expect(periodicTaskCount()).toBe(3);
      jest.advanceTimersByTime(999);
      expect(runs).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(runs).toEqual(['a', 'b']);
      jest.advanceTimersByTime(2000);
      expect(runs).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'c']);
    } finally {
      for (const stop of stops) stop();
    }
  });

  it('stops the shared timer with its last task, and starts it again for the next', () => {
    const stopA = periodic(1000, () => undefined);
    const stopB = periodic(5000, () => undefined);
    stopA();
    stopA(); // idempotent: B keeps the timer
    expect(jest.getTimerCount()).toBe(1);
    stopB();
    expect(jest.getTimerCount()).toBe(0);
    expect(periodicTaskCount()).toBe(0);
    const ran = jest.fn();
    const stopC = periodic(1000, ran);
    jest.advanceTimersByTime(1000);
    expect(ran).toHaveBeenCalledTimes(1);
    stopC();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('gives a period that is not whole seconds an interval of its own', () => {
    const ran = jest.fn();
    const stop = periodic(300, ran);
    expect(periodicTaskCount()).toBe(0);
    jest.advanceTimersByTime(900);
    expect(ran).toHaveBeenCalledTimes(3);
    stop();
    jest.advanceTimersByTime(900);
    expect(ran).toHaveBeenCalledTimes(3);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('runs the other tasks when one throws, and throws its error again on its own', () => {
    const after = jest.fn();
    const failure = new Error('task failed');
    const stops = [
      periodic(1000, () => {
        throw failure;
      }),
      periodic(1000, after),
    ];
    try {
      jest.advanceTimersByTime(1000);
      expect(after).toHaveBeenCalledTimes(1);
      expect(() => jest.runOnlyPendingTimers()).toThrow(failure);
    } finally {
      for (const stop of stops) stop();
    }
  });

  it('skips a task another task of the same tick stopped', () => {
    const second = jest.fn();
    let stopSecond = (): void => undefined;
    const stopFirst = periodic(1000, () => stopSecond());
    stopSecond = periodic(1000, second);
    jest.advanceTimersByTime(1000);
    expect(second).not.toHaveBeenCalled();
    stopFirst();
    expect(jest.getTimerCount()).toBe(0);
  });
});
