import { floorStepFigures } from './floor-figures';
import { type FloorStored, framesFor, gatewayOf, gatewaysFor, readSend } from './floor-wire';

const send = { c: 'r-1', from: 2, to: 5, k: '2-5', t: 'hi', s: 1_000 };
const stored = (over: Partial<FloorStored>): FloorStored => ({ ...send, seq: 1, ...over });

describe('the pipeline floor wire', () => {
  it('reads a send and refuses anything else', () => {
    expect(readSend(send)).toEqual(send);
    expect(readSend({ ...send, extra: true })).toEqual(send);
    expect(readSend(null)).toBeUndefined();
    expect(readSend('send')).toBeUndefined();
    expect(readSend({ ...send, from: 1.5 })).toBeUndefined();
    expect(readSend({ ...send, to: '5' })).toBeUndefined();
    expect(readSend({ ...send, s: '1000' })).toBeUndefined();
    const { k: _k, ...noKey } = send;
    expect(readSend(noKey)).toBeUndefined();
  });

  it('deals users round the gateways', () => {
    expect([0, 1, 2, 3].map((u) => gatewayOf(u, 2))).toEqual([0, 1, 0, 1]);
  });

  it("writes a group's messages to recipients and acks to senders on each gateway, in seq order", () => {
    // 2 is on gateway 0, 5 on gateway 1; 4 and 2 both on gateway 0.
    const group = [
      stored({ seq: 1 }),
      stored({ c: 'r-2', from: 4, to: 2, k: '2-4', seq: 7 }),
      stored({ c: 'r-3', seq: 2 }),
    ];
    expect(framesFor(group, 0, 2)).toEqual([
      { user: 2, frame: { type: 'ack', c: 'r-1', k: '2-5', seq: 1 } },
      { user: 2, frame: { type: 'message', k: '2-4', seq: 7, from: 4, t: 'hi', s: 1_000 } },
      { user: 4, frame: { type: 'ack', c: 'r-2', k: '2-4', seq: 7 } },
      { user: 2, frame: { type: 'ack', c: 'r-3', k: '2-5', seq: 2 } },
    ]);
    expect(framesFor(group, 1, 2)).toEqual([
      { user: 5, frame: { type: 'message', k: '2-5', seq: 1, from: 2, t: 'hi', s: 1_000 } },
      { user: 5, frame: { type: 'message', k: '2-5', seq: 2, from: 2, t: 'hi', s: 1_000 } },
    ]);
    expect(gatewaysFor(group, 2)).toEqual([0, 1]);
    expect(gatewaysFor([stored({ from: 4, to: 2 })], 2)).toEqual([0]);
  });
});

describe("the pipeline floor's figures", () => {
  const latency = { count: 2_000, p50: 20, p90: 40, p99: 60, max: 70, mean: 25 };

  it('counts every process but the driver, per delivered message over the sampled time', () => {
    const figures = floorStepFigures(
      100,
      20,
      25,
      { sent: 2_000, acked: 2_000, delivered: 1_999, outOfOrder: 0 },
      latency,
      [
        { name: 'storage', cpuPercent: 30, readsPerSecond: 160, writesPerSecond: 80 },
        { name: 'kafka', cpuPercent: 50, jitCpuPercent: 20 },
        { name: 'generator', cpuPercent: 10 },
      ],
    );
    expect(figures.stackCpuPercent).toBe(80);
    // 80% of a core for 25 s is 20,000 ms, over 1,999 messages.
    expect(figures.stackCpuMsPerMessage).toBe(10.005);
    expect(figures.achieved).toBe(100);
    expect(figures.lost).toBe(1);
    expect(figures.line).toContain('kafka 50% (JIT 20),');
    // 1,999 messages over 25 s: 80 a second, so 160 reads a second are 2 a message.
    expect(figures.line).toContain('storage 30% 2/1 r/w');
    expect(figures.line).toContain('lost 1');
    expect(figures.line).not.toContain('disk flush');
    expect(figures.diskFlush).toBeUndefined();
  });

  it("adds the disk's flushes through the step when they were timed", () => {
    const diskFlush = { count: 400, p50Ms: 0.6, p99Ms: 181, maxMs: 419, slow: 7 };
    const figures = floorStepFigures(
      500,
      30,
      40,
      { sent: 15_000, acked: 15_000, delivered: 15_000, outOfOrder: 0 },
      latency,
      [{ name: 'storage', cpuPercent: 30 }],
      diskFlush,
    );
    expect(figures.diskFlush).toEqual(diskFlush);
    expect(figures.line).toMatch(/; disk flush p50 0\.6 \/ p99 181 \/ max 419 ms, 7 slow$/);
  });

  it('has no figure per message when nothing was delivered', () => {
    const figures = floorStepFigures(
      100,
      20,
      25,
      { sent: 10, acked: 0, delivered: 0, outOfOrder: 0 },
      { ...latency, count: 0 },
      [{ name: 'storage', cpuPercent: 30 }],
    );
    expect(figures.stackCpuMsPerMessage).toBeNull();
    expect(figures.lost).toBe(10);
    expect(figures.line).toContain('- ms per message');
  });
});
