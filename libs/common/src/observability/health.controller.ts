import { Controller, Get, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG } from '../config/config.module';
import { register } from 'prom-client';
import { InternalOnlyGuard, isInternalRequest } from './internal-only.guard';
import { READINESS_CHECKS, ReadinessCheck, withTimeout } from './readiness';
import { SERVICE_NAME } from './service-name';
import { SettledMemory, SettledMemoryReader } from './settled-memory';

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  service: string;
  checks: Record<string, { status: 'up' | 'down'; error?: string }>;
}

@Controller()
export class HealthController {
  private readonly memory = new SettledMemoryReader();

  constructor(
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    @Inject(SERVICE_NAME) private readonly service: string,
    @Inject(APP_CONFIG) private readonly config: { INTERNAL_API_TOKEN?: string },
  ) {}

  /** Liveness: the process runs its event loop. No dependency is consulted. */
  @Get('health/live')
  @HttpCode(200)
  live(): { status: 'ok'; service: string } {
    return { status: 'ok', service: this.service };
  }

  /**
   * Readiness: every dependency answers (Kafka always; PostgreSQL and Redis where used). Why a
   * check failed (addresses, driver messages) is shown to internal callers only.
   */
  @Get('health/ready')
  async ready(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ReadinessReport> {
    const detailed = isInternalRequest(req, this.config.INTERNAL_API_TOKEN);
    const results = await Promise.all(
      this.checks.map(async (c) => {
        try {
          await withTimeout(c.check(), 2000, c.name);
          return [c.name, { status: 'up' as const }] as const;
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          return [c.name, { status: 'down' as const, ...(detailed ? { error } : {}) }] as const;
        }
      }),
    );
    const checks: ReadinessReport['checks'] = {};
    for (const [name, result] of results) checks[name] = result;
    const ok = results.every(([, r]) => r.status === 'up');
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ready' : 'not_ready', service: this.service, checks };
  }

  /**
   * The process's memory right after a full garbage collection (at most one per 10 s; a call in
   * between gets the last reading): what a load test divides by its idle sockets.
   */
  @Post('metrics/memory')
  @HttpCode(200)
  @UseGuards(InternalOnlyGuard)
  settledMemory(): SettledMemory {
    return this.memory.read();
  }

  /** Prometheus exposition: process metrics plus Parley's per-topic counters and latencies. */
  @Get('metrics')
  @UseGuards(InternalOnlyGuard)
  async metrics(@Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', register.contentType);
    res.send(await register.metrics());
  }
}
