import { Global, Module } from '@nestjs/common';
import { SendRateLimiter } from './send-rate.limiter';
import { ThrottleCountersRepository } from './throttle-counters.repository';
import { UserSendQuotaRepository } from './user-send-quota.repository';

/**
 * The gateway's budgets: Redis-backed fixed-window counters for the HTTP throttles (log-in,
 * registration, search) and the send rate limits (per socket, per user over every gateway).
 */
@Global()
@Module({
  providers: [ThrottleCountersRepository, UserSendQuotaRepository, SendRateLimiter],
  exports: [ThrottleCountersRepository, SendRateLimiter],
})
export class ThrottlingModule {}
