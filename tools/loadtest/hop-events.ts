import { readdirSync, readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { isLoopbackUrl } from './loopback';

/**
 * What one message makes each hop publish, counted outside the services:
 *
 * - Kafka: `parley_kafka_produced_total{topic}` (records Kafka acknowledged, by topic) read from
 *   every gateway's and service's /metrics before and after a step;
 * - Redis: the tool subscribes to the stack's delivery channels (`parley:<cluster>:deliveries:*`,
 *   one per gateway box, and `parley:<cluster>:channel-deliveries`, the channels' broadcast; see
 *   RedisChannels in libs/common) and counts each PUBLISH storage makes there, by what it carries;
 * - sockets: the workers count the frames their sockets receive (every socket is the tool's).
 */

/** Sums a counter's samples by one label's value, over a Prometheus text exposition. */
export function parseCounterByLabel(
  text: string,
  metric: string,
  label: string,
  into: Map<string, number> = new Map(),
): Map<string, number> {
  const labelPattern = new RegExp(`[{,]${label}="([^"]*)"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const key = labelPattern.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (key === undefined || !Number.isFinite(value)) continue;
    into.set(key, (into.get(key) ?? 0) + value);
  }
  return into;
}

/** after - before per key (a process restarted meanwhile counts from zero: never negative). */
export function diffCounts(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, n] of after) {
    const delta = Math.max(0, n - (before.get(key) ?? 0));
    if (delta > 0) out.set(key, delta);
  }
  return out;
}

export const KAFKA_PRODUCED_METRIC = 'parley_kafka_produced_total';

/** One service's /metrics page, as read from its URL. */
export interface MetricsPage {
  url: string;
  text: string;
}

/** Every URL's /metrics page (unreachable ones are left out). */
export async function readMetricsPages(urls: readonly string[]): Promise<MetricsPage[]> {
  const pages = await Promise.all(
    urls.map(async (url) => {
      try {
        const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
        return { url, text: response.ok ? await response.text() : '' };
      } catch {
        return { url, text: '' };
      }
    }),
  );
  return pages.filter((page) => page.text !== '');
}

/** Every URL's /metrics text (unreachable ones are left out). */
export async function readMetricsTexts(urls: readonly string[]): Promise<string[]> {
  return (await readMetricsPages(urls)).map((page) => page.text);
}

/** Kafka records produced, by topic, summed over every process's /metrics text. */
export function kafkaProducedByTopic(texts: readonly string[]): Map<string, number> {
  const into = new Map<string, number>();
  for (const text of texts) parseCounterByLabel(text, KAFKA_PRODUCED_METRIC, 'topic', into);
  return into;
}

// ---------------------------------------------------------------------------------------------
// Redis delivery publishes

/** What one published DeliveryBatch carried. */
export interface BatchShape {
  /** Messages (each a `message` frame for its sockets, an `ack` for its sender's). */
  items: number;
  /** Sockets named by the items (a channel's items name none: each box finds its subscribers). */
  namedSockets: number;
  receipts: number;
  /** Message-less `ack`s and refusals (membership changes, refused sends). */
  other: number;
  /** Typing entries (presence routes typing to the members' boxes in delivery batches). */
  typing: number;
  /** Sockets the typing entries named. */
  typingSockets: number;
}

/** The shape of a DeliveryBatch payload; undefined when it is not one. */
export function classifyBatch(payload: string): BatchShape | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const batch = parsed as {
    items?: unknown;
    receipts?: unknown;
    acks?: unknown;
    refusals?: unknown;
    typing?: unknown;
  };
  const length = (value: unknown) => (Array.isArray(value) ? value.length : 0);
  // A batch of typing alone may leave out `items`.
  if (!Array.isArray(batch.items) && !Array.isArray(batch.typing)) return undefined;
  const items = Array.isArray(batch.items)
    ? (batch.items as Array<{ connectionIds?: unknown }>)
    : [];
  let namedSockets = 0;
  for (const item of items) namedSockets += length(item?.connectionIds);
  const typing = Array.isArray(batch.typing)
    ? (batch.typing as Array<{ connectionIds?: unknown }>)
    : [];
  let typingSockets = 0;
  for (const entry of typing) typingSockets += length(entry?.connectionIds);
  return {
    items: items.length,
    namedSockets,
    receipts: length(batch.receipts),
    other: length(batch.acks) + length(batch.refusals),
    typing: typing.length,
    typingSockets,
  };
}

/** Publishes seen on the delivery channels over a step, by what they carried. */
export interface RedisPublishTally {
  /** Every publish on a box's channel or the channels' broadcast. */
  publishes: number;
  bytes: number;
  /** Publishes on a box's channel carrying messages (one per box per committed batch). */
  boxMessagePublishes: number;
  /** Publishes on `channel-deliveries` (one per committed batch holding channels' messages). */
  broadcastPublishes: number;
  /** Publishes carrying receipts only (the cursor step's fan-out). */
  receiptPublishes: number;
  /** Publishes carrying typing (and no message or receipt): presence's typing step. */
  typingPublishes: number;
  /** Publishes carrying message-less acks or refusals only, and payloads that are not batches. */
  otherPublishes: number;
  /** Message items over every publish (a message on two boxes counts twice). */
  items: number;
  /** Sockets the items named. */
  namedSockets: number;
  receiptEntries: number;
  /** Typing entries over every publish, and the sockets they named. */
  typingEntries: number;
  typingSockets: number;
}

export function emptyPublishTally(): RedisPublishTally {
  return {
    publishes: 0,
    bytes: 0,
    boxMessagePublishes: 0,
    broadcastPublishes: 0,
    receiptPublishes: 0,
    typingPublishes: 0,
    otherPublishes: 0,
    items: 0,
    namedSockets: 0,
    receiptEntries: 0,
    typingEntries: 0,
    typingSockets: 0,
  };
}

/** Counts one publish into `tally` (`broadcast`: it came on the channels' broadcast channel). */
export function countPublish(tally: RedisPublishTally, broadcast: boolean, payload: string): void {
  tally.publishes++;
  tally.bytes += Buffer.byteLength(payload);
  const shape = classifyBatch(payload);
  if (!shape) {
    tally.otherPublishes++;
    return;
  }
  tally.items += shape.items;
  tally.namedSockets += shape.namedSockets;
  tally.receiptEntries += shape.receipts;
  tally.typingEntries += shape.typing;
  tally.typingSockets += shape.typingSockets;
  if (broadcast) tally.broadcastPublishes++;
  else if (shape.items > 0) tally.boxMessagePublishes++;
  else if (shape.receipts > 0) tally.receiptPublishes++;
  else if (shape.typing > 0) tally.typingPublishes++;
  else tally.otherPublishes++;
}

// ---------------------------------------------------------------------------------------------
// Redis presence publishes

/** The pattern of one cluster's presence channels (RedisChannels.presence: one per user). */
export function presenceChannelPattern(clusterId: string): string {
  return `parley:${clusterId}:presence:*`;
}

/** Publishes seen on the presence channels (one per change of one user, whoever watches). */
export interface PresencePublishTally {
  publishes: number;
  bytes: number;
  /** By the change's `online`: went (or still is) online, offline; payloads not understood. */
  online: number;
  offline: number;
  unreadable: number;
  /** userId (the channel's last part) -> publishes. */
  perUser: Map<string, number>;
}

export function emptyPresenceTally(): PresencePublishTally {
  return { publishes: 0, bytes: 0, online: 0, offline: 0, unreadable: 0, perUser: new Map() };
}

/** Counts one publish on `parley:<cluster>:presence:<userId>`. */
export function countPresencePublish(
  tally: PresencePublishTally,
  channel: string,
  payload: string,
): void {
  tally.publishes++;
  tally.bytes += Buffer.byteLength(payload);
  const userId = channel.slice(channel.lastIndexOf(':') + 1);
  tally.perUser.set(userId, (tally.perUser.get(userId) ?? 0) + 1);
  let online: unknown;
  try {
    online = (JSON.parse(payload) as { online?: unknown }).online;
  } catch {
    online = undefined;
  }
  if (online === true) tally.online++;
  else if (online === false) tally.offline++;
  else tally.unreadable++;
}

/** The delivery channels of one cluster (RedisChannels.delivery / channelDeliveries). */
export function deliveryChannels(clusterId: string): { boxPattern: string; broadcast: string } {
  return {
    boxPattern: `parley:${clusterId}:deliveries:*`,
    broadcast: `parley:${clusterId}:channel-deliveries`,
  };
}

/**
 * A subscriber on one stack's delivery channels: it reads what storage publishes to the gateway
 * boxes, and never publishes. Redis sends it a copy of every batch (a little more Redis CPU,
 * counted in the stack's).
 */
export class RedisWatch {
  private tally = emptyPublishTally();
  private presenceTally = emptyPresenceTally();

  private constructor(private readonly redis: Redis) {}

  /**
   * `presence`: also subscribe to every user's presence channel (a pattern), counting each change
   * presence publishes.
   */
  static async open(
    url: string,
    clusterId: string,
    options: { presence?: boolean } = {},
  ): Promise<RedisWatch> {
    if (!isLoopbackUrl(url)) throw new Error(`refusing a non-loopback Redis: ${url}`);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(clusterId))
      throw new Error(`not a cluster id: ${clusterId}`);
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined); // reconnects by itself; a lost copy only undercounts
    await redis.connect();
    const watch = new RedisWatch(redis);
    const { boxPattern, broadcast } = deliveryChannels(clusterId);
    const presencePattern = presenceChannelPattern(clusterId);
    redis.on('pmessage', (pattern: string, channel: string, payload: string) => {
      if (pattern === presencePattern) countPresencePublish(watch.presenceTally, channel, payload);
      else countPublish(watch.tally, false, payload);
    });
    redis.on('message', (channel: string, payload: string) =>
      countPublish(watch.tally, channel === broadcast, payload),
    );
    await redis.psubscribe(boxPattern);
    if (options.presence) await redis.psubscribe(presencePattern);
    await redis.subscribe(broadcast);
    return watch;
  }

  /** Starts counting afresh. */
  reset(): void {
    this.tally = emptyPublishTally();
    this.presenceTally = emptyPresenceTally();
  }

  /** What was counted since the last reset. */
  read(): RedisPublishTally {
    return { ...this.tally };
  }

  /** The presence channels' publishes since the last reset (opened with `presence`). */
  readPresence(): PresencePublishTally {
    return { ...this.presenceTally, perUser: new Map(this.presenceTally.perUser) };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

// ---------------------------------------------------------------------------------------------
// The stack's Redis and cluster id, from a gateway's environment

/** One variable of a NUL-separated /proc/<pid>/environ. */
export function envVar(environ: string, name: string): string | undefined {
  for (const entry of environ.split('\0'))
    if (entry.startsWith(`${name}=`)) return entry.slice(name.length + 1);
  return undefined;
}

/**
 * REDIS_URL and PARLEY_CLUSTER_ID of the gateway process listening on `port` on this machine
 * (node running dist/apps/gateway/src/main.js with PORT=port); undefined when none is found or
 * its environment cannot be read.
 */
export function gatewayEnv(
  port: number,
): { redisUrl?: string; clusterId?: string; databaseUrl?: string } | undefined {
  const environ = serviceEnviron('gateway', port);
  if (environ === undefined) return undefined;
  return {
    redisUrl: envVar(environ, 'REDIS_URL'),
    clusterId: envVar(environ, 'PARLEY_CLUSTER_ID'),
    databaseUrl: envVar(environ, 'DATABASE_URL'),
  };
}

/**
 * The NUL-separated environment of the Parley service `app` listening on `port` on this machine
 * (node running dist/apps/<app>/src/main.js with PORT=port); undefined when none is found or it
 * cannot be read.
 */
export function serviceEnviron(app: string, port: number): string | undefined {
  if (!/^[a-z]+$/.test(app)) return undefined;
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const main = new RegExp(`dist/apps/${app}/src/main\\.js`);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!main.test(cmdline)) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (envVar(environ, 'PORT') !== String(port)) continue;
      return environ;
    } catch {
      // gone, or not ours to read
    }
  }
  return undefined;
}
