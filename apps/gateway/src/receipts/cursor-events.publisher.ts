import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import {
  APP_CONFIG,
  CursorsMovedV1,
  MAX_CURSOR_MOVES_PER_EVENT,
  Topic,
  TOPIC_SPECS,
  withTimeout,
} from '@parley/common';
import { EventPublisher } from '@parley/kafka';
import type { GatewayConfig } from '../config/gateway.config';
import { MessagingException } from '../errors/messaging.exception';
import { CursorMoves, type DeliveredMove, type ReadMove } from './cursor-moves';

/** Cursors held unpublished (Kafka slow or down) past which new moves are refused. */
const MAX_HELD_CURSORS = 100_000;
/** How long shutdown waits for the last gathered moves to reach Kafka. */
const SHUTDOWN_FLUSH_WAIT_MS = 5_000;

const CURSOR_PARTITIONS = TOPIC_SPECS.find((t) => t.name === Topic.Cursors)?.partitions ?? 1;

interface Waiters {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function waiters(): Waiters {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A waiter nobody awaits (a WebSocket frame's move) must not become an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

type Config = Pick<GatewayConfig, 'CURSOR_FLUSH_MS' | 'GATEWAY_ID'>;

/**
 * The receipt step onto Kafka (`parley.cursors.v1`, for storage to persist): cursor moves are
 * gathered for CURSOR_FLUSH_MS and published as `cursors.moved` records (each cursor once, at its
 * highest seq; at most MAX_CURSOR_MOVES_PER_EVENT per list), so the gateway's cursor events follow
 * time, not traffic: a few records a second however many devices report, never one per message
 * per member. One flush at a time; what could not be published is taken back and tried again.
 * Each move's promise settles when a record carrying it is on Kafka.
 */
@Injectable()
export class CursorEventsPublisher implements BeforeApplicationShutdown {
  private readonly logger = new Logger(CursorEventsPublisher.name);
  private readonly moves = new CursorMoves();
  private pending = waiters();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private keyIndex = 0;
  private failing = false;
  private closing = false;

  constructor(
    private readonly publisher: EventPublisher,
    @Inject(APP_CONFIG) private readonly config: Config,
  ) {}

  delivered(move: DeliveredMove): Promise<void> {
    this.admit();
    this.moves.addDelivered(move);
    return this.gathered();
  }

  read(move: ReadMove): Promise<void> {
    this.admit();
    this.moves.addRead(move);
    return this.gathered();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await withTimeout(this.flushAll(), SHUTDOWN_FLUSH_WAIT_MS, 'cursor flush').catch(
      (err: unknown) =>
        this.logger.warn({ err, held: this.moves.size }, 'cursor moves not flushed'),
    );
  }

  private admit(): void {
    if (this.moves.size >= MAX_HELD_CURSORS) throw MessagingException.unavailable();
  }

  private gathered(): Promise<void> {
    const { promise } = this.pending;
    if (this.moves.size >= MAX_CURSOR_MOVES_PER_EVENT) this.flushSoon(0);
    else this.flushSoon(this.config.CURSOR_FLUSH_MS);
    return promise;
  }

  private flushSoon(delayMs: number): void {
    if (this.flushing) return; // the flush in flight schedules the next one when it ends
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), delayMs);
    // Sockets and Kafka keep a running gateway alive; a pending flush alone must not.
    this.timer.unref();
  }

  private flush(): Promise<void> {
    this.timer = undefined;
    this.flushing = this.publishGathered().finally(() => {
      this.flushing = undefined;
      if (this.moves.size > 0) this.flushSoon(this.config.CURSOR_FLUSH_MS);
    });
    return this.flushing;
  }

  /** Flushes until nothing is gathered (shutdown). */
  private async flushAll(): Promise<void> {
    for (let round = 0; round < 10 && (this.flushing || this.moves.size > 0); round++) {
      await (this.flushing ?? this.flush());
    }
  }

  private async publishGathered(): Promise<void> {
    if (this.moves.size === 0) return;
    const done = this.pending;
    this.pending = waiters();
    const payloads = this.moves.drain(MAX_CURSOR_MOVES_PER_EVENT);
    const results = await Promise.allSettled(
      payloads.map((payload) =>
        this.publisher.publish(Topic.Cursors, this.nextKey(), CursorsMovedV1, payload),
      ),
    );
    const failed = payloads.filter((_, i) => results[i].status === 'rejected');
    if (failed.length === 0) {
      if (this.failing) this.logger.log('cursor moves published again');
      this.failing = false;
      done.resolve();
      return;
    }
    const err = results.find((r) => r.status === 'rejected')?.reason as unknown;
    if (this.closing) {
      // Shutting down: the producer is going. A cursor only rises, so a later report moves it on.
      this.logger.warn({ err, records: failed.length }, 'cursor moves not published at shutdown');
      done.reject(err);
      return;
    }
    if (!this.failing)
      this.logger.warn(
        { err, records: failed.length },
        'cursor moves not published; held for the next flush',
      );
    this.failing = true;
    // Kept for the next flush: their waiters settle with it.
    this.moves.restore(failed);
    this.pending.promise.then(done.resolve, done.reject);
  }

  /** Records rotate over the topic's partitions (their order does not matter: cursors only rise). */
  private nextKey(): string {
    this.keyIndex = (this.keyIndex + 1) % CURSOR_PARTITIONS;
    return `${this.config.GATEWAY_ID}:${this.keyIndex}`;
  }
}
