import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';

const MAX_ENTRIES = 100_000;

/**
 * This gateway's memory of look-ups that never change once they exist: a username's account id
 * (accounts are never renamed or removed) and a pair's 1:1 conversation id (one per pair, never
 * replaced). A first-contact send (`to: <username>`) then costs no database round trip after the
 * first one. Bounded; only hits are kept, so an unknown user is asked again next time.
 */
@Injectable()
export class DirectLookupCache {
  /** usernameKey (lower-cased username) → user id. */
  readonly userIds = new LRUCache<string, string>({ max: MAX_ENTRIES });
  /** directPairKey → conversation id. */
  readonly directConversations = new LRUCache<string, string>({ max: MAX_ENTRIES });
}
