import { heartbeatDue } from './gateway-heartbeat.service';

describe('heartbeatDue', () => {
  const idle = 3000;
  const every = 1000;

  it('beats on the first check', () => {
    expect(heartbeatDue(undefined, 0, 0, idle, every)).toBe(true);
  });

  it('beats at the next check when the connection count changed', () => {
    expect(heartbeatDue({ at: 0, connections: 5 }, 1000, 6, idle, every)).toBe(true);
    expect(heartbeatDue({ at: 0, connections: 5 }, 1000, 4, idle, every)).toBe(true);
  });

  it('stays quiet while nothing changed, until the idle interval has run out', () => {
    const last = { at: 10_000, connections: 5 };
    expect(heartbeatDue(last, 11_000, 5, idle, every)).toBe(false);
    expect(heartbeatDue(last, 12_000, 5, idle, every)).toBe(false);
    // The third check after the beat, even a little early, beats: idle gaps stay at 3 s.
    expect(heartbeatDue(last, 12_600, 5, idle, every)).toBe(true);
    expect(heartbeatDue(last, 13_000, 5, idle, every)).toBe(true);
  });

  it('beats at every check when the idle interval is the check interval', () => {
    expect(heartbeatDue({ at: 0, connections: 5 }, 1000, 5, every, every)).toBe(true);
  });
});
