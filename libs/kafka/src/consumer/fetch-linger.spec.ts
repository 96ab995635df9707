import { FetchLinger } from './fetch-linger';

describe('FetchLinger', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('gives every batch of one fetch the same pause, ending `ms` after the first', async () => {
    const linger = new FetchLinger(10);
    const first = linger.pause();
    jest.advanceTimersByTime(6);
    const second = linger.pause();
    expect(second).toBe(first);
    let done = false;
    void first?.then(() => (done = true));
    jest.advanceTimersByTime(3);
    await Promise.resolve();
    expect(done).toBe(false);
    jest.advanceTimersByTime(1);
    await Promise.resolve();
    expect(done).toBe(true);
  });

  it('starts a new pause for the first batch after the last one ended', () => {
    const linger = new FetchLinger(10);
    const first = linger.pause();
    jest.advanceTimersByTime(10);
    const next = linger.pause();
    expect(next).toBeDefined();
    expect(next).not.toBe(first);
  });

  it('never pauses when off', () => {
    expect(new FetchLinger(0).pause()).toBeUndefined();
  });
});
