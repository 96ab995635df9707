import { register } from 'prom-client';
import { registeredCounter, registeredHistogram } from './registered-metrics';

describe('registered metrics', () => {
  afterEach(() => {
    register.removeSingleMetric('parley_test_things_total');
    register.removeSingleMetric('parley_test_seconds');
  });

  it('registers a counter once and hands the same one to a second caller', async () => {
    const config = { name: 'parley_test_things_total', help: 'Things.', labelNames: ['kind'] };
    const first = registeredCounter(config);
    const second = registeredCounter(config);
    expect(second).toBe(first);
    second.inc({ kind: 'a' });
    expect(await register.getSingleMetricAsString('parley_test_things_total')).toContain(
      'parley_test_things_total{kind="a"} 1',
    );
  });

  it('does the same for a histogram', () => {
    const config = { name: 'parley_test_seconds', help: 'Seconds.', buckets: [0.1, 1] };
    expect(registeredHistogram(config)).toBe(registeredHistogram(config));
  });
});
