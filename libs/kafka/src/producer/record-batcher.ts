import { ArrivalRate, type MonotonicClock } from '../arrival-rate';
import { OutgoingRecord } from './producer-record';

/** One topic's records in a flush, in enqueue order. */
export interface TopicBatch {
  topic: string;
  messages: OutgoingRecord[];
}

/** Sends one flush as a single produce request; resolves once the broker acknowledged all of it. */
export type SendBatchFn = (batches: TopicBatch[]) => Promise<void>;

export interface RecordBatcherOptions {
  /** How long the first record of a batch waits for company before the batch is sent. */
  lingerMs: number;
  /**
   * Records a second (ArrivalRate: every record enqueued, over the last full window) under which
   * a record queued with the default linger waits none: the request goes as soon as none is in
   * flight. 0: the linger always applies. Records queued with a linger of their own keep it.
   */
  lingerMinRate: number;
  /** Records per produce request: a batch this full is sent without waiting for the linger. */
  maxBatchRecords: number;
  /**
   * UTF-8 bytes (key, value, headers and a per-record allowance) per produce request, the same
   * way. Kept well under the broker's `message.max.bytes` (1 MiB by default, per partition's
   * record batch), so a full request never comes back MESSAGE_TOO_LARGE.
   */
  maxBatchBytes: number;
  /** Records waiting or in flight past which `enqueue` refuses (ProducerOverloadedError). */
  maxPending: number;
}

export const DEFAULT_BATCHER_OPTIONS: RecordBatcherOptions = {
  lingerMs: 2,
  lingerMinRate: 0,
  maxBatchRecords: 1000,
  maxBatchBytes: 768 * 1024,
  maxPending: 10_000,
};

/** Record framing Kafka adds per record (lengths, offsets, timestamps, header counts): an upper bound. */
const RECORD_OVERHEAD_BYTES = 64;

/** What one record costs in a produce request, in bytes on the wire (not UTF-16 units). */
export function recordBytes(record: OutgoingRecord): number {
  let bytes =
    RECORD_OVERHEAD_BYTES + Buffer.byteLength(record.key) + Buffer.byteLength(record.value);
  for (const name in record.headers) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(record.headers[name]) + 2;
  }
  return bytes;
}

/** Refused immediately: too many records are already waiting for Kafka (explicit pushback). */
export class ProducerOverloadedError extends Error {
  constructor(readonly pending: number) {
    super(`Kafka producer overloaded: ${pending} records waiting`);
    this.name = 'ProducerOverloadedError';
  }
}

/** Refused: the publisher is shutting down. */
export class ProducerClosedError extends Error {
  constructor() {
    super('event publisher is shut down');
    this.name = 'ProducerClosedError';
  }
}

interface Entry {
  /** When its linger ends: the batch goes at the earliest of its entries' (or once full). */
  sendBy: number;
  topic: string;
  records: OutgoingRecord[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Linger batching in front of the producer. `enqueue` appends to a FIFO queue and returns a
 * promise that settles when the produce request carrying its records is acknowledged. At most ONE
 * request is in flight: the next batch (everything queued meanwhile, up to the size limits) goes
 * once the previous one settled and either its linger elapsed or it is full. So records reach
 * Kafka in enqueue order, per key as well as overall, and the idempotent producer's
 * one-request-in-flight rule holds. A failed request rejects exactly the entries it carried.
 *
 * The queue is bounded by `maxPending` records (queued + in flight): past it `enqueue` rejects at
 * once with ProducerOverloadedError, so a slow broker turns into pushback, not memory growth.
 * Sizes are counted in UTF-8 bytes, as the broker counts them; a publishMany larger than one
 * request is split into consecutive requests, in order.
 */
export class RecordBatcher {
  private readonly queue: Entry[] = [];
  private queuedRecords = 0;
  private queuedBytes = 0;
  private inFlightRecords = 0;
  private sending: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** When the armed timer fires. */
  private timerAt = Infinity;
  /** The earliest `sendBy` of the queued entries. */
  private sendBy = Infinity;
  private closed = false;
  private readonly arrivals: ArrivalRate;

  constructor(
    private readonly send: SendBatchFn,
    private readonly options: RecordBatcherOptions = DEFAULT_BATCHER_OPTIONS,
    now?: MonotonicClock,
  ) {
    this.arrivals = new ArrivalRate(now);
  }

  /** Records queued or in flight. */
  get pending(): number {
    return this.queuedRecords + this.inFlightRecords;
  }

  /** True when one more record would be refused. */
  get saturated(): boolean {
    return this.pending >= this.options.maxPending;
  }

  /**
   * Queues records for one topic. `lingerMs` (default: the batcher's) is how long they may wait
   * for company: a record nobody waits on (a socket's connection event) can wait longer than a
   * message on its way to an ack, so a burst of them shares one request; a batch goes when the
   * earliest linger of what it carries ends. While records come slower than `lingerMinRate`, the
   * default linger is none: a request would rarely find company in it, and each record would
   * wait it out and cost a timer's wake-up.
   */
  enqueue(topic: string, records: OutgoingRecord[], lingerMs?: number): Promise<void> {
    if (this.closed) return Promise.reject(new ProducerClosedError());
    if (records.length === 0) return Promise.resolve();
    // A single entry bigger than the bound is still accepted when nothing else waits, so a large
    // publishMany can never be refused forever.
    if (this.pending > 0 && this.pending + records.length > this.options.maxPending) {
      return Promise.reject(new ProducerOverloadedError(this.pending));
    }
    // Every record counts towards the rate, its own linger or not; nothing is counted when off.
    const slow =
      this.options.lingerMinRate > 0 &&
      this.arrivals.count(records.length) < this.options.lingerMinRate;
    const sendBy = performance.now() + (lingerMs ?? (slow ? 0 : this.options.lingerMs));
    this.sendBy = Math.min(this.sendBy, sendBy);
    const parts = this.split(records);
    const settled = parts.map(
      (part) =>
        new Promise<void>((resolve, reject) => {
          this.queue.push({ topic, ...part, resolve, reject, sendBy });
          this.queuedRecords += part.records.length;
          this.queuedBytes += part.bytes;
        }),
    );
    this.schedule();
    return settled.length === 1 ? settled[0] : Promise.all(settled).then(() => undefined);
  }

  /**
   * One publishMany bigger than a request may carry goes as consecutive entries (so as several
   * requests, still in order); each stays within maxBatchBytes unless a single record is larger.
   */
  private split(records: OutgoingRecord[]): { records: OutgoingRecord[]; bytes: number }[] {
    const parts: { records: OutgoingRecord[]; bytes: number }[] = [];
    let current: OutgoingRecord[] = [];
    let bytes = 0;
    for (const record of records) {
      const size = recordBytes(record);
      if (current.length > 0 && bytes + size > this.options.maxBatchBytes) {
        parts.push({ records: current, bytes });
        current = [];
        bytes = 0;
      }
      current.push(record);
      bytes += size;
    }
    parts.push({ records: current, bytes });
    return parts;
  }

  /** Sends everything queued (no more linger) and resolves when nothing is queued or in flight. */
  async flush(): Promise<void> {
    while (this.sending || this.queue.length > 0) {
      this.disarm();
      if (!this.sending) this.sendNext();
      await this.sending?.catch(() => undefined);
    }
  }

  /** Refuses further records and flushes what was accepted. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private full(): boolean {
    return (
      this.queuedRecords >= this.options.maxBatchRecords ||
      this.queuedBytes >= this.options.maxBatchBytes
    );
  }

  /**
   * Sends the next batch once no request is in flight and it is full or a record in it has waited
   * its linger (as Kafka's own producer counts linger.ms, from the oldest record), so a busy
   * producer sends a few fuller requests instead of one per round trip.
   */
  private schedule(): void {
    if (this.sending || this.queue.length === 0) return; // a settling request schedules again
    const now = performance.now();
    if (this.full() || this.sendBy <= now) {
      this.disarm();
      this.sendNext();
      return;
    }
    // A record with a shorter linger than the armed timer's brings the timer forward.
    if (this.timer && this.timerAt <= this.sendBy) return;
    this.disarm();
    this.timerAt = this.sendBy;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.schedule();
    }, this.sendBy - now);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private sendNext(): void {
    if (this.queue.length === 0) return;
    const entries: Entry[] = [];
    let records = 0;
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (
        entries.length > 0 &&
        (records + next.records.length > this.options.maxBatchRecords ||
          bytes + next.bytes > this.options.maxBatchBytes)
      ) {
        break;
      }
      this.queue.shift();
      entries.push(next);
      records += next.records.length;
      bytes += next.bytes;
    }
    this.queuedRecords -= records;
    this.queuedBytes -= bytes;
    this.inFlightRecords += records;
    this.sendBy = Infinity;
    for (const left of this.queue) this.sendBy = Math.min(this.sendBy, left.sendBy);

    // A send that throws synchronously is a failed request like any other.
    const request = new Promise<void>((resolve) => resolve(this.send(groupByTopic(entries))));
    const sending = request.then(
      () => {
        for (const e of entries) e.resolve();
      },
      (err: unknown) => {
        for (const e of entries) e.reject(err);
      },
    );
    this.sending = sending.finally(() => {
      this.inFlightRecords -= records;
      this.sending = null;
      this.schedule();
    });
  }
}

/** Entries -> one TopicBatch per topic, each keeping enqueue order. */
function groupByTopic(entries: readonly Entry[]): TopicBatch[] {
  const byTopic = new Map<string, OutgoingRecord[]>();
  for (const e of entries) {
    const list = byTopic.get(e.topic);
    if (list) {
      for (const r of e.records) list.push(r);
    } else {
      byTopic.set(e.topic, [...e.records]);
    }
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
