import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis, { type RedisOptions } from 'ioredis';
import { ReadinessCheck } from '../observability/readiness';
import { redisKeyPrefix } from './redis-values';

export const REDIS = Symbol('REDIS');

@Injectable()
export class RedisReadinessCheck implements ReadinessCheck, OnApplicationShutdown {
  readonly name = 'redis';
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async check(): Promise<void> {
    await this.redis.ping();
  }

  /** Runs after consumers have drained (Nest closes microservices before shutdown hooks). */
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** One ioredis connection per service, closed after Kafka consumers have drained. */
@Module({})
export class RedisModule {
  /** `clusterId` (PARLEY_CLUSTER_ID) prefixes every key this connection reads or writes. */
  static forRoot(url: string, clusterId: string): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [
        {
          provide: REDIS,
          // Auto-pipelining: every command issued in one event-loop tick leaves in one write
          // (the message path issues many small commands per tick: one syscall instead of many).
          useFactory: () =>
            new Redis(url, {
              maxRetriesPerRequest: 2,
              enableReadyCheck: true,
              lazyConnect: false,
              enableAutoPipelining: true,
              keyPrefix: redisKeyPrefix(clusterId),
            }),
        },
        RedisReadinessCheck,
      ],
      exports: [REDIS, RedisReadinessCheck],
    };
  }
}

/**
 * Options for a connection that only subscribes (pub/sub). No ready check: since ioredis 5.8.2 a
 * (p)subscribe issued while the connection comes up can be written before the INFO ready check,
 * which Redis then refuses in subscriber mode; ioredis takes that as fatal and reconnects, and
 * what was published meanwhile is lost (redis/ioredis#2037). A subscriber has nothing to wait for.
 */
export const SUBSCRIBER_REDIS_OPTIONS = {
  maxRetriesPerRequest: null,
  enableAutoPipelining: false,
  enableReadyCheck: false,
} as const satisfies RedisOptions;
