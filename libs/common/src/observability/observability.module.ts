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
 * How often the event-loop lag histogram samples (prom-client's default is 10 ms: ~200 wake-ups a
 * second of an otherwise idle process, about a percent of a core each). A blocked loop still
 * shows: a sample that falls in the block records how late it ran.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

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
