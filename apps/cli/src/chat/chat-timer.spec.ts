import { parseTimerCommand } from './chat-timer';

describe('/timer', () => {
  it('reads a timer with its unit, or off', () => {
    expect(parseTimerCommand('/timer 5m')).toBe(300);
    expect(parseTimerCommand('/timer 1h')).toBe(3600);
    expect(parseTimerCommand('/timer 1d')).toBe(86_400);
    expect(parseTimerCommand('/timer 1w')).toBe(604_800);
    expect(parseTimerCommand('/timer 2s')).toBe(2);
    expect(parseTimerCommand(' /timer off ')).toBeNull();
  });

  it('says how to use it when malformed, and leaves other lines alone', () => {
    for (const line of ['/timer', '/timer 5', '/timer 0s', '/timer 5 m', '/timer soon']) {
      expect(parseTimerCommand(line)).toBe('usage');
    }
    expect(parseTimerCommand('/timers')).toBeUndefined();
    expect(parseTimerCommand('set /timer 5m')).toBeUndefined();
  });
});
