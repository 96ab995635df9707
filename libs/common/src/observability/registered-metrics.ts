import {
  Counter,
  type CounterConfiguration,
  Histogram,
  type HistogramConfiguration,
  register,
} from 'prom-client';

/**
 * A counter of prom-client's default registry (the one /metrics serves): the one registered under
 * `config.name` already (a second app in the same process, a test), or a new one. Callers keep
 * the result (registering a name twice throws).
 */
export function registeredCounter<T extends string = string>(
  config: CounterConfiguration<T>,
): Counter<T> {
  return (register.getSingleMetric(config.name) as Counter<T> | undefined) ?? new Counter(config);
}

/** A histogram of the default registry, as `registeredCounter`. */
export function registeredHistogram<T extends string = string>(
  config: HistogramConfiguration<T>,
): Histogram<T> {
  return (
    (register.getSingleMetric(config.name) as Histogram<T> | undefined) ?? new Histogram(config)
  );
}
