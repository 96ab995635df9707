/**
 * The pipeline floor's wire: what its driver, gateways and storage pass each other, and the
 * settings and tables they share. Deliberately bare (no envelope, no validation beyond a shape
 * check, no auth): the floor measures what the design's hops cost with nothing of Parley's own on
 * them (pipeline-floor.bench.ts).
 */

/** A send, as a driver's socket writes it and as the Kafka record's value carries it. */
export interface FloorSend {
  /** Client message id. */
  c: string;
  /** Sender and recipient (user numbers). */
  from: number;
  to: number;
  /** Conversation id: the record key, the unit of ordering. */
  k: string;
  /** Text. */
  t: string;
  /** The driver's scheduled send time (ms since the epoch), carried through for latency. */
  s: number;
}

/** A stored send, with its seq, as storage publishes it to the gateways. */
export interface FloorStored extends FloorSend {
  seq: number;
}

/** What a gateway writes to a socket. */
export type FloorFrame =
  | { type: 'message'; k: string; seq: number; from: number; t: string; s: number }
  | { type: 'ack'; c: string; k: string; seq: number };

/** A setting the bench passes a floor process in its environment. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export const FLOOR_TOPIC = 'parley.bench.floor.v1';

/** The tables the floor writes (its own database, made by the driver). */
export const FLOOR_SCHEMA = `
  CREATE TABLE IF NOT EXISTS floor_conversations (id text PRIMARY KEY, last_seq bigint NOT NULL);
  CREATE TABLE IF NOT EXISTS floor_messages (
    conversation_id text NOT NULL, seq bigint NOT NULL, sender int NOT NULL,
    client_msg_id text NOT NULL, body text NOT NULL,
    PRIMARY KEY (conversation_id, seq), UNIQUE (sender, client_msg_id))`;

/** The Redis channel a gateway reads its deliveries from. */
export const floorChannel = (gateway: number): string => `parley:bench:floor:deliveries:${gateway}`;

/** The gateway a user's socket is on: users are dealt round the gateways. */
export const gatewayOf = (user: number, gateways: number): number => user % gateways;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A send read from a socket or a record, or undefined when it is not one. */
export function readSend(value: unknown): FloorSend | undefined {
  if (!isRecord(value)) return undefined;
  const { c, from, to, k, t, s } = value;
  if (typeof c !== 'string' || typeof k !== 'string' || typeof t !== 'string') return undefined;
  if (!Number.isInteger(from) || !Number.isInteger(to) || typeof s !== 'number') return undefined;
  return { c, from: from as number, to: to as number, k, t, s };
}

/**
 * What one gateway must write for a committed group: a `message` to each recipient on it and an
 * `ack` to each sender on it, in seq order.
 */
export function framesFor(
  stored: readonly FloorStored[],
  gateway: number,
  gateways: number,
): { user: number; frame: FloorFrame }[] {
  const out: { user: number; frame: FloorFrame }[] = [];
  for (const m of stored) {
    if (gatewayOf(m.to, gateways) === gateway) {
      out.push({
        user: m.to,
        frame: { type: 'message', k: m.k, seq: m.seq, from: m.from, t: m.t, s: m.s },
      });
    }
    if (gatewayOf(m.from, gateways) === gateway) {
      out.push({ user: m.from, frame: { type: 'ack', c: m.c, k: m.k, seq: m.seq } });
    }
  }
  return out;
}

/** The gateways a committed group must be published to (each one's own channel). */
export function gatewaysFor(stored: readonly FloorStored[], gateways: number): number[] {
  const set = new Set<number>();
  for (const m of stored) {
    set.add(gatewayOf(m.to, gateways));
    set.add(gatewayOf(m.from, gateways));
  }
  return [...set].sort((a, b) => a - b);
}
