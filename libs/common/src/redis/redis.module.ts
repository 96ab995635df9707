import {
  DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
} from '@nestjs/common';
import Redis, { type RedisOptions } from 'ioredis';
import { ReadinessCheck } from '../observability/readiness';
import { livenessIntervalOf, watchRedisLiveness } from './redis-liveness';
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
  /**
   * `PARLEY_CLUSTER_ID` prefixes every key this connection reads or writes; `REDIS_LIVENESS_MS`
   * is how often it (and every subscriber connection duplicated from it) is asked PING, and how
   * long an answer may take before the connection is taken for stalled and dropped.
   */
  static forRoot(config: {
    REDIS_URL: string;
    PARLEY_CLUSTER_ID: string;
    REDIS_LIVENESS_MS: number;
  }): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [
        {
          provide: REDIS,
          // Auto-pipelining: every command issued in one event-loop tick leaves in one write
          // (the message path issues many small commands per tick: one syscall instead of many).
          useFactory: () => {
            const redis = new Redis(config.REDIS_URL, {
              maxRetriesPerRequest: 2,
              enableReadyCheck: true,
              lazyConnect: false,
              enableAutoPipelining: true,
              keyPrefix: redisKeyPrefix(config.PARLEY_CLUSTER_ID),
            });
            watchRedisLiveness(redis, config.REDIS_LIVENESS_MS, new Logger('Redis'), 'commands');
            return redis;
          },
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

/**
 * A connection for pub/sub only, duplicated from `base` with SUBSCRIBER_REDIS_OPTIONS, and watched
 * for a stall as `base` is (a subscribed connection sends nothing by itself, so without the watch
 * a stalled one would go unnoticed, and what is published meanwhile lost, for hours).
 */
export function subscriberConnection(base: Redis, logger: Logger, what: string): Redis {
  const connection = base.duplicate(SUBSCRIBER_REDIS_OPTIONS);
  const everyMs = livenessIntervalOf(base);
  if (everyMs !== undefined) watchRedisLiveness(connection, everyMs, logger, what);
  return connection;
}
