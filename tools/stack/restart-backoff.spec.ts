import {
  DEFAULT_RESTART_BACKOFF,
  GATEWAY_PEER_FAILOVER_MS,
  gatewayFailoverFloor,
  RestartBackoff,
} from './restart-backoff';

describe('RestartBackoff', () => {
  it('starts at 500 ms and doubles with every quick exit, up to 5 s', () => {
    const backoff = new RestartBackoff();
    const delays = Array.from({ length: 7 }, () => backoff.delayAfterExit(100));
    expect(delays).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('starts over at 500 ms once the process that exited had stayed up 30 s', () => {
    const backoff = new RestartBackoff();
    for (let i = 0; i < 5; i++) backoff.delayAfterExit(1_000);
    expect(backoff.delayAfterExit(30_000)).toBe(500);
    expect(backoff.delayAfterExit(1_000)).toBe(1000);
  });

  it('keeps growing while each run stays shorter than 30 s', () => {
    const backoff = new RestartBackoff();
    expect(backoff.delayAfterExit(29_999)).toBe(500);
    expect(backoff.delayAfterExit(29_999)).toBe(1000);
    expect(backoff.delayAfterExit(29_999)).toBe(2000);
  });

  it('takes other limits', () => {
    const backoff = new RestartBackoff({ initialMs: 10, maxMs: 25, stableAfterMs: 100 });
    expect([1, 1, 1, 1].map((uptime) => backoff.delayAfterExit(uptime))).toEqual([10, 20, 25, 25]);
    expect(backoff.delayAfterExit(100)).toBe(10);
  });

  it('defaults to 500 ms / 5 s / 30 s', () => {
    expect(DEFAULT_RESTART_BACKOFF).toEqual({ initialMs: 500, maxMs: 5000, stableAfterMs: 30000 });
  });
});

describe('gatewayFailoverFloor', () => {
  const member = (name: string, kind: string, state: 'running' | 'exited' | 'killed') => ({
    name,
    kind,
    process: {
      exitCode: state === 'exited' ? 1 : null,
      signalCode: state === 'killed' ? ('SIGKILL' as const) : null,
    },
  });

  it("holds a gateway's restart while another gateway runs, naming the ones that serve", () => {
    const g1 = member('gateway-1', 'gateway', 'killed');
    const services = [
      g1,
      member('gateway-2', 'gateway', 'running'),
      member('gateway-3', 'gateway', 'running'),
    ];
    expect(gatewayFailoverFloor(services)(g1)).toEqual({
      ms: GATEWAY_PEER_FAILOVER_MS,
      why: 'its clients fail over to gateway-2, gateway-3 first',
    });
  });

  it('leaves the last gateway standing, and every consumer, to the backoff alone', () => {
    const g1 = member('gateway-1', 'gateway', 'killed');
    const storage = member('storage', 'storage', 'killed');
    const services = [
      g1,
      member('gateway-2', 'gateway', 'exited'),
      storage,
      member('session', 'session', 'running'),
    ];
    const floor = gatewayFailoverFloor(services);
    expect(floor(g1)).toBeUndefined();
    expect(floor(storage)).toBeUndefined();
  });
});
