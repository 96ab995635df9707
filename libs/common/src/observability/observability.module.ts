import { DynamicModule, Global, InjectionToken, Module } from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';
import { HealthController } from './health.controller';
import { READINESS_CHECKS, ReadinessCheck } from './readiness';
import { SERVICE_NAME } from './service-name';

export interface ObservabilityOptions {
  service: string;
  /** Tokens of providers implementing ReadinessCheck (Kafka, database, Redis ...). */
  checks: InjectionToken[];
}

let defaultMetricsStarted = false;

/**
 * How often the event-loop lag histogram samples. prom-client's default is 10 ms: ~200 wake-ups a
 * second of an otherwise idle process. Each wake-up of an idle Node process costs it 50-200 µs of
 * CPU on a small machine, so at 100 ms the sampler alone was half of an idle service's wake-ups
 * (about 0.17% of a core per service). Once a second: a block of the loop still shows in the
 * histogram when a sample falls in it (every block of a second or more does), and
 * `nodejs_eventloop_lag_seconds`, measured at each scrape, is unaffected.
 */
export const EVENT_LOOP_SAMPLE_MS = 1_000;

/** /health/live, /health/ready and /metrics for one service. */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    if (!defaultMetricsStarted) {
      register.setDefaultLabels({ service: options.service });
      collectDefaultMetrics({ eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
      defaultMetricsStarted = true;
    }
    return {
      module: ObservabilityModule,
      controllers: [HealthController],
      providers: [
        { provide: SERVICE_NAME, useValue: options.service },
        {
          provide: READINESS_CHECKS,
          useFactory: (...checks: ReadinessCheck[]) => checks,
          inject: options.checks,
        },
      ],
      exports: [SERVICE_NAME],
    };
  }
}
