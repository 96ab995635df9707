import { ExpiryAlarm } from './expiry-alarm';

describe('ExpiryAlarm', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('fires once just after the next expiry; the same time again changes nothing; a new one replaces it', () => {
    const fired: number[] = [];
    const alarm = new ExpiryAlarm(() => fired.push(Date.now()));
    const now = Date.now();
    alarm.set(now + 1000, now);
    alarm.set(now + 1000, now);
    jest.advanceTimersByTime(1019);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(fired).toHaveLength(1);
    alarm.set(Date.now() + 500);
    alarm.set(Date.now() + 200);
    jest.advanceTimersByTime(1000);
    expect(fired).toHaveLength(2);
  });

  it('does nothing without an expiry, or once cleared', () => {
    const fired: number[] = [];
    const alarm = new ExpiryAlarm(() => fired.push(1));
    alarm.set(undefined);
    alarm.set(Date.now() + 100);
    alarm.clear();
    jest.advanceTimersByTime(1000);
    expect(fired).toEqual([]);
  });
});
