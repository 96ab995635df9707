import { consumerSessionTiming } from './consumer-session-timing';

describe('consumerSessionTiming', () => {
  it('defaults to a 30 s session with heartbeats every 3 s', () => {
    expect(consumerSessionTiming()).toEqual({ sessionTimeout: 30_000, heartbeatInterval: 3_000 });
  });

  it('heartbeats every 3 s at most, whatever the session timeout', () => {
    expect(consumerSessionTiming(300_000).heartbeatInterval).toBe(3_000);
    expect(consumerSessionTiming(9_000).heartbeatInterval).toBe(3_000);
  });

  it('heartbeats at a third of a session timeout shorter than 9 s', () => {
    expect(consumerSessionTiming(6_000)).toEqual({
      sessionTimeout: 6_000,
      heartbeatInterval: 2_000,
    });
    expect(consumerSessionTiming(7_000).heartbeatInterval).toBe(2_333);
  });
});
