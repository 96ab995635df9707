import { register } from 'prom-client';
import { MESSAGE_HOP_METRIC, observeHop } from './message-hops.metrics';

/** The hop's count and sum (seconds) in the registry's exposition (none before the first hop). */
async function hopFigures(hop: string): Promise<{ count: number; sum: number }> {
  if (!register.getSingleMetric(MESSAGE_HOP_METRIC)) return { count: 0, sum: 0 };
  const text = await register.getSingleMetricAsString(MESSAGE_HOP_METRIC);
  const read = (suffix: string) =>
    Number(
      new RegExp(`^${MESSAGE_HOP_METRIC}_${suffix}\\{hop="${hop}"\\} (\\S+)$`, 'm').exec(
        text,
      )?.[1] ?? 0,
    );
  return { count: read('count'), sum: read('sum') };
}

describe('observeHop', () => {
  const acceptedAt = '2026-12-02T10:00:00.000Z';
  const origin = Date.parse(acceptedAt);

  it('observes each hop under its own label, every time it is called', async () => {
    const before = await hopFigures('storage_fetched');
    observeHop('storage_fetched', acceptedAt, origin + 20);
    observeHop('storage_fetched', acceptedAt, origin + 30);
    observeHop('storage_committed', acceptedAt, origin + 40);
    const after = await hopFigures('storage_fetched');
    expect(after.count - before.count).toBe(2);
    expect(after.sum - before.sum).toBeCloseTo(0.05, 6);
    expect((await hopFigures('storage_committed')).count).toBeGreaterThanOrEqual(1);
  });

  it('keeps observing after the histogram was reset', async () => {
    observeHop('gateway_out', acceptedAt, origin + 5);
    register.resetMetrics();
    observeHop('gateway_out', acceptedAt, origin + 7);
    expect(await hopFigures('gateway_out')).toEqual({ count: 1, sum: 0.007 });
  });

  it('skips a send without a readable acceptance time', async () => {
    const before = await hopFigures('ack_out');
    observeHop('ack_out', undefined);
    observeHop('ack_out', 'not a time');
    expect(await hopFigures('ack_out')).toEqual(before);
  });
});
