import { LoggerService } from '@nestjs/common';
import { EventEnvelope } from '@parley/common';
import { chunk, DecodedRecord, decodeRecords, nextOffset, splitPoisoned } from './batch-plan';
import {
  buildDeadLetter,
  DeadLetterPayload,
  deadLetterKey,
  DeadLetterSource,
  RawRecord,
} from './dead-letter.record';
import { asPoison } from './poison-event.error';
import { BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './retry-backoff';
import { kafkaMetrics } from '../kafka.metrics';

export type DecodeFn = (
  raw: Buffer | null,
) => { ok: true; event: EventEnvelope } | { ok: false; reason: string };

export interface DeadLetter {
  key: string;
  payload: DeadLetterPayload;
}

/** What the processor needs from the consumer; the transport binds these to kafkajs. */
export interface PartitionBatchPorts {
  /** Sends dead letters; resolves once Kafka acknowledged all of them. */
  deadLetter(letters: DeadLetter[]): Promise<void>;
  /** Runs the topic's handler on valid events; resolves once its work is durable. */
  invoke(events: EventEnvelope[]): Promise<void>;
  /**
   * Marks this partition done up to `offset` (the next one to read): the fetch moves on and the
   * offset is committed. The transport sends the commit in the background, batched.
   */
  commit(offset: string): Promise<void>;
  heartbeat(): Promise<void>;
  /** True once the consumer is closing or the partition was reassigned or sought. */
  shouldStop(): boolean;
  /** Waits (heartbeating), returning early when the consumer closes. */
  wait(ms: number): Promise<void>;
}

export interface ProcessorOptions {
  maxEventsPerCall: number;
  backoff: BackoffOptions;
}

export const DEFAULT_PROCESSOR_OPTIONS: ProcessorOptions = {
  maxEventsPerCall: 500,
  backoff: DEFAULT_BACKOFF,
};

type Logger = Pick<Required<LoggerService>, 'log' | 'warn' | 'error' | 'debug'>;

/**
 * One partition batch, start to commit. Per chunk of at most `maxEventsPerCall` records:
 *  1. decode every record; invalid ones are dead-lettered (and acknowledged) first;
 *  2. the handler gets the valid events in offset order. A PoisonEventError dead-letters the
 *     named events and re-runs the handler with the rest; any other error is retriable: back off
 *     (200 ms doubling to 30 s), heartbeat meanwhile, retry the same events, log once per outage;
 *  3. commit the last offset + 1 only after 1 and 2 succeeded.
 * If the consumer closes or loses the partition mid-retry, it stops WITHOUT committing: the
 * records are read again by whoever owns the partition next (handlers are idempotent).
 */
export class PartitionBatchProcessor {
  private readonly metrics = kafkaMetrics();

  constructor(
    private readonly source: DeadLetterSource,
    private readonly decode: DecodeFn,
    private readonly logger: Logger,
    private readonly options: ProcessorOptions = DEFAULT_PROCESSOR_OPTIONS,
  ) {}

  async process(
    records: readonly RawRecord[],
    ports: PartitionBatchPorts,
  ): Promise<'committed' | 'stopped'> {
    for (const part of chunk(records, this.options.maxEventsPerCall)) {
      const done = await this.processChunk(part, ports);
      if (!done) return 'stopped';
      await ports.commit(nextOffset(part[part.length - 1].offset));
      await ports.heartbeat();
    }
    return 'committed';
  }

  private async processChunk(part: RawRecord[], ports: PartitionBatchPorts): Promise<boolean> {
    const { topic, partition, group } = this.source;
    const { valid, invalid } = decodeRecords(part, this.decode);
    let pendingLetters = invalid.map((i) => this.letter(i.record, i.reason));
    let events: DecodedRecord<EventEnvelope>[] = valid;

    return this.untilDone(part, ports, async () => {
      if (pendingLetters.length > 0) {
        await this.sendDeadLetters(pendingLetters, ports, 'invalid record');
        pendingLetters = [];
        await ports.heartbeat();
      }
      while (events.length > 0) {
        const stopTimer = this.metrics.handlerSeconds.startTimer({ topic, group });
        try {
          await ports.invoke(events.map((e) => e.event));
        } catch (err) {
          const poison = asPoison(err);
          if (!poison) throw err;
          const { poisoned, rest } = splitPoisoned(events, poison.eventIds);
          this.logger.warn(
            {
              topic,
              partition,
              group,
              eventIds: poisoned.map((p) => p.event.id),
              reason: poison.reason,
            },
            'handler rejected events as poison; dead-lettering them',
          );
          await this.sendDeadLetters(
            poisoned.map((p) => this.letter(p.record, `handler rejected: ${poison.reason}`)),
            ports,
            'poison event',
          );
          events = rest;
          continue;
        } finally {
          stopTimer();
        }
        this.metrics.consumed.inc({ topic, group, result: 'ok' }, events.length);
        this.logger.debug(
          {
            topic,
            partition,
            group,
            count: events.length,
            eventIds: events.map((e) => e.event.id),
          },
          'batch handled',
        );
        events = [];
      }
    });
  }

  private async untilDone(
    part: RawRecord[],
    ports: PartitionBatchPorts,
    step: () => Promise<void>,
  ): Promise<boolean> {
    const { topic, partition, group } = this.source;
    const where = {
      topic,
      partition,
      group,
      firstOffset: part[0].offset,
      lastOffset: part[part.length - 1].offset,
    };
    let attempt = 0;
    let outageStarted = 0;
    for (;;) {
      if (ports.shouldStop()) {
        if (attempt > 0) {
          this.logger.warn(
            { ...where, attempts: attempt },
            'consumer closing or partition reassigned; batch left uncommitted for redelivery',
          );
        }
        return false;
      }
      try {
        await step();
        if (attempt > 0) {
          this.logger.log(
            { ...where, attempts: attempt + 1, outageMs: Date.now() - outageStarted },
            'batch succeeded after retries; consumer recovered',
          );
        }
        return true;
      } catch (err) {
        if (attempt === 0) {
          outageStarted = Date.now();
          this.logger.error(
            { ...where, error: describeError(err) },
            'batch failed; retrying with backoff until it succeeds (logged once per outage)',
          );
        }
        const delay = backoffDelay(attempt, this.options.backoff);
        attempt += 1;
        await ports.wait(delay);
      }
    }
  }

  private letter(record: RawRecord, reason: string): DeadLetter {
    return { key: deadLetterKey(record), payload: buildDeadLetter(this.source, record, reason) };
  }

  private async sendDeadLetters(
    letters: DeadLetter[],
    ports: PartitionBatchPorts,
    kind: string,
  ): Promise<void> {
    const { topic, partition, group } = this.source;
    await ports.deadLetter(letters);
    this.metrics.consumed.inc({ topic, group, result: 'dead_lettered' }, letters.length);
    this.logger.warn(
      {
        topic,
        partition,
        group,
        count: letters.length,
        records: letters.map((l) => ({ offset: l.payload.sourceOffset, reason: l.payload.reason })),
      },
      `dead-lettered ${kind}s`,
    );
  }
}

/**
 * An error as logged: type, code and a bounded message. Never the whole object: driver errors
 * carry the query parameters, which may include what people wrote.
 */
export function describeError(err: unknown): { type: string; message: string; code?: string } {
  if (!(err instanceof Error)) return { type: typeof err, message: 'non-Error thrown' };
  const code = (err as { code?: unknown }).code;
  return {
    type: err.name,
    message: err.message.length > 300 ? `${err.message.slice(0, 299)}…` : err.message,
    ...(typeof code === 'string' ? { code } : {}),
  };
}
