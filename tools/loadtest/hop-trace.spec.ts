import { bucketQuantile, diffHopBuckets, parseHopBuckets, summarizeHops } from './hop-trace';

const exposition = (n1: number, n2: number, n3: number) =>
  [
    '# HELP parley_message_hop_seconds x',
    `parley_message_hop_seconds_bucket{le="0.001",hop="storage_committed",service="storage"} ${n1}`,
    `parley_message_hop_seconds_bucket{le="0.01",hop="storage_committed",service="storage"} ${n2}`,
    `parley_message_hop_seconds_bucket{le="+Inf",hop="storage_committed",service="storage"} ${n3}`,
    `parley_message_hop_seconds_sum{hop="storage_committed",service="storage"} 1`,
    `parley_message_hop_seconds_count{hop="storage_committed",service="storage"} ${n3}`,
    'parley_other_bucket{le="1"} 5',
  ].join('\n');

describe('hop trace', () => {
  it('sums processes, diffs two reads and interpolates quantiles inside a bucket', () => {
    const before = parseHopBuckets(exposition(10, 10, 10));
    const after = parseHopBuckets(exposition(10, 110, 110));
    parseHopBuckets(exposition(0, 100, 100), after); // a second process
    const step = diffHopBuckets(before, after);
    const buckets = step.get('storage_committed')!;
    expect(buckets.get(Infinity)).toBe(200);
    expect(buckets.get(0.001)).toBe(0);
    // All 200 lie in (1 ms, 10 ms]: the median is halfway.
    expect(bucketQuantile(buckets, 0.5)).toBeCloseTo(0.0055, 6);
    expect(summarizeHops(step)).toEqual([
      { hop: 'storage_committed', count: 200, p50Ms: 5.5, p99Ms: 9.9 },
    ]);
  });

  it('lists hops along the message path (by time since accepted) and drops empty ones', () => {
    // gateway_out saw nothing; ack_out (p50 in (5, 10] ms) comes after kafka_appended (under 5).
    const text = [
      ['gateway_out', 0, 0],
      ['ack_out', 0, 2],
      ['kafka_appended', 3, 3],
    ]
      .flatMap(([hop, fast, all]) => [
        `parley_message_hop_seconds_bucket{hop="${hop}",le="0.005"} ${fast}`,
        `parley_message_hop_seconds_bucket{hop="${hop}",le="0.01"} ${all}`,
        `parley_message_hop_seconds_bucket{hop="${hop}",le="+Inf"} ${all}`,
      ])
      .join('\n');
    expect(summarizeHops(parseHopBuckets(text)).map((s) => s.hop)).toEqual([
      'kafka_appended',
      'ack_out',
    ]);
  });
});
