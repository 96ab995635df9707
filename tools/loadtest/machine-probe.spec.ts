import { execFileSync } from 'node:child_process';

import { formatMachineProbe, probeMachine } from './machine-probe';

/** Node processes running this probe's echo peer (its `-e` source listens on loopback). */
function echoPeers(): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes('createServer((socket) =>'));
}

describe('probeMachine', () => {
  it('measures a JSON pass and a loopback round trip to a real second process, then stops it', async () => {
    const before = echoPeers().length;
    const probe = await probeMachine({ roundTrips: 200, jsonIterations: 5000 });

    expect(probe.cores).toBeGreaterThanOrEqual(1);
    expect(probe.jsonUs).toBeGreaterThan(0);
    expect(Number.isFinite(probe.jsonUs)).toBe(true);
    const { p50, p90, p99 } = probe.loopbackRttUs;
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(p90);
    expect(p90).toBeLessThanOrEqual(p99);
    // The peer is gone once the probe returns: nothing is left running between runs.
    expect(echoPeers()).toHaveLength(before);
  });

  it('formats one line with every figure', () => {
    const line = formatMachineProbe({
      cores: 2,
      jsonUs: 1.016,
      loopbackRttUs: { p50: 43.1, p90: 107.3, p99: 344.1 },
    });
    expect(line).toBe(
      'machine: 2 cores; JSON encode+decode of a send frame 1.02 µs; loopback round trip to another process p50 43 / p90 107 / p99 344 µs',
    );
  });
});
