import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';

const MAX_CONVERSATIONS = 100_000;

/**
 * The highest seq this gateway has seen stored, per conversation (from the messages it delivers
 * and the pages it serves). A conversation's last seq only grows, so a cursor at or below a seq
 * seen here is known valid without asking PostgreSQL: the `delivered` receipt that follows every
 * delivered message costs no query. Anything above falls back to the database. Bounded; losing it
 * only costs look-ups.
 */
@Injectable()
export class KnownSeqCache {
  private readonly highest = new LRUCache<string, number>({ max: MAX_CONVERSATIONS });

  observe(conversationId: string, seq: number): void {
    const known = this.highest.get(conversationId);
    if (known === undefined || seq > known) this.highest.set(conversationId, seq);
  }

  /** True when `seq` is known to exist (at or below a stored seq seen here). */
  covers(conversationId: string, seq: number): boolean {
    const known = this.highest.get(conversationId);
    return known !== undefined && seq <= known;
  }
}
