import type { CursorsMovedV1, PayloadOf } from '@parley/common';

export type CursorsMoved = PayloadOf<typeof CursorsMovedV1>;
export type DeliveredMove = CursorsMoved['delivered'][number];
export type ReadMove = CursorsMoved['read'][number];

const readKey = (m: ReadMove): string => `${m.conversationId}\u0000${m.userId}`;
const deliveredKey = (m: DeliveredMove): string => `${readKey(m)}\u0000${m.deviceId}`;

/**
 * The cursor moves a gateway has gathered and not yet published: each cursor once, at the highest
 * seq reported (a delivered cursor per device, a read cursor per member). Cursors only move
 * forward, so keeping the highest loses nothing; `drain` cuts what is gathered into
 * `cursors.moved` payloads. Pure: the publisher owns the timer and Kafka.
 */
export class CursorMoves {
  private delivered = new Map<string, DeliveredMove>();
  private read = new Map<string, ReadMove>();

  /** Cursors gathered (each counted once). */
  get size(): number {
    return this.delivered.size + this.read.size;
  }

  addDelivered(move: DeliveredMove): void {
    keepHighest(this.delivered, deliveredKey(move), move);
  }

  addRead(move: ReadMove): void {
    keepHighest(this.read, readKey(move), move);
  }

  /** Everything gathered, as payloads of at most `perEvent` moves in each list; empties the set. */
  drain(perEvent: number): CursorsMoved[] {
    const delivered = [...this.delivered.values()];
    const read = [...this.read.values()];
    this.delivered = new Map();
    this.read = new Map();
    const payloads: CursorsMoved[] = [];
    for (let i = 0; i < Math.max(delivered.length, read.length); i += perEvent) {
      payloads.push({
        delivered: delivered.slice(i, i + perEvent),
        read: read.slice(i, i + perEvent),
      });
    }
    return payloads;
  }

  /** Takes back payloads that could not be published (a newer move of a cursor wins). */
  restore(payloads: readonly CursorsMoved[]): void {
    for (const p of payloads) {
      for (const m of p.delivered) this.addDelivered(m);
      for (const m of p.read) this.addRead(m);
    }
  }
}

function keepHighest<M extends { seq: number }>(moves: Map<string, M>, key: string, move: M): void {
  const known = moves.get(key);
  if (!known || move.seq > known.seq) moves.set(key, move);
}
