import { sha256 as nobleSha256 } from '@noble/hashes/sha2';
import {
  type ConversationState,
  type DeliveredMessage,
  EMPTY_STATE_DIGEST,
  type Sha256,
  STATE_WINDOW,
  stateDigest,
  type StateEntry,
  stateEntryOf,
  stateWindow,
  toHex,
} from '@parley/protocol';
import { z } from 'zod/v4';

/** SHA-256 for the state digest: pure JS, synchronous, the same in Node and in a browser. */
export const sha256: Sha256 = (data) => nobleSha256(data);

/** One held message as a state needs it (text hashed: the store keeps no message text). */
const heldEntrySchema = z.object({
  seq: z.number().int().positive(),
  senderId: z.string().min(1).max(255),
  clientMsgId: z.string().min(1).max(255),
  /** SHA-256 of the text, hex. */
  textSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** A disappearing message's expiry (epoch ms): from then on the digest hashes '' for it. */
  expiresAt: z.number().optional(),
});
type HeldEntry = z.output<typeof heldEntrySchema>;

const storedConversationSchema = z.object({
  lastSeq: z.number().int().min(0),
  /** The first seq the user may read (absent: 1). */
  fromSeq: z.number().int().min(1).optional(),
  /** The last min(10, lastSeq - fromSeq + 1) messages up to lastSeq, ascending. */
  window: z.array(heldEntrySchema).max(STATE_WINDOW),
  /** Messages held above a hole (waiting for what is missing below). */
  above: z.array(heldEntrySchema),
});
export const storedStatesSchema = z.record(z.string(), storedConversationSchema);
/** What a ConversationStateStore keeps: per conversation, its state's window (no text). */
export type StoredStates = z.output<typeof storedStatesSchema>;

/**
 * Where a device keeps its conversation states across restarts: a file (the terminal client),
 * IndexedDB (the web client), memory (tests). Whole snapshots; the client saves after changes,
 * a little later, at most one write at a time.
 */
export interface ConversationStateStore {
  load(): Promise<unknown>;
  save(states: StoredStates): Promise<void>;
}

export class MemoryConversationStateStore implements ConversationStateStore {
  constructor(private states: StoredStates = {}) {}
  load(): Promise<unknown> {
    return Promise.resolve(structuredClone(this.states));
  }
  save(states: StoredStates): Promise<void> {
    this.states = structuredClone(states);
    return Promise.resolve();
  }
  /** For tests: what was saved. */
  get saved(): StoredStates {
    return this.states;
  }
}

interface Held {
  /** The first seq the user may read: 1, or the event that added it to a group (sync says). */
  fromSeq: number;
  lastSeq: number;
  window: HeldEntry[];
  above: Map<number, HeldEntry>;
  /** The digest of (lastSeq, window), computed when asked. */
  digest?: string;
}

const EXPIRED_TEXT_SHA256 = toHex(sha256(new Uint8Array(0)));

function toEntry(held: HeldEntry, now: number): StateEntry {
  const hex =
    held.expiresAt !== undefined && held.expiresAt <= now ? EXPIRED_TEXT_SHA256 : held.textSha256;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return {
    seq: held.seq,
    senderId: held.senderId,
    clientMsgId: held.clientMsgId,
    textSha256: bytes,
  };
}

function heldOf(message: DeliveredMessage): HeldEntry {
  const entry = stateEntryOf(message, sha256);
  const expiresAt = message.expiresAt === undefined ? undefined : Date.parse(message.expiresAt);
  return {
    seq: entry.seq,
    senderId: entry.senderId,
    clientMsgId: entry.clientMsgId,
    textSha256: toHex(entry.textSha256),
    ...(expiresAt !== undefined && !Number.isNaN(expiresAt) ? { expiresAt } : {}),
  };
}

/**
 * A device's conversation states (sync v2): per conversation how far it holds the messages with
 * nothing missing below (`lastSeq`), the last ten of them as the digest needs them, and what it
 * holds above a hole. `lastSeq` only moves over messages held contiguously, so the state, the
 * delivered cursor and the next sync all start from what the device really has: a message
 * above a hole never makes it skip the hole. Pure; ParleyClient wires it to frames and a store.
 */
export class ConversationStates {
  /** The clock disappearing messages expire by (epoch ms). */
  now: () => number = () => Date.now();
  private readonly held = new Map<string, Held>();
  /** Per conversation: the seq last reported as delivered. */
  private readonly reported = new Map<string, number>();
  private dirty = false;

  /** Loads a stored snapshot (invalid conversations are dropped, not trusted). */
  restore(stored: unknown): void {
    const parsed = storedStatesSchema.safeParse(stored);
    if (!parsed.success) return;
    for (const [conversationId, c] of Object.entries(parsed.data)) {
      const fromSeq = c.fromSeq ?? 1;
      const { from } = stateWindow(c.lastSeq, fromSeq);
      const consistent =
        c.lastSeq >= fromSeq - 1 &&
        c.window.length === c.lastSeq - from + 1 &&
        c.window.every((e, i) => e.seq === from + i);
      if (!consistent) continue;
      this.held.set(conversationId, {
        fromSeq,
        lastSeq: c.lastSeq,
        window: c.window,
        above: new Map(c.above.filter((e) => e.seq > c.lastSeq + 1).map((e) => [e.seq, e])),
      });
      this.reported.set(conversationId, c.lastSeq);
    }
  }

  snapshot(): StoredStates {
    const out: StoredStates = {};
    for (const [id, c] of this.held) {
      out[id] = {
        lastSeq: c.lastSeq,
        ...(c.fromSeq > 1 ? { fromSeq: c.fromSeq } : {}),
        window: c.window,
        above: [...c.above.values()],
      };
    }
    return out;
  }

  /** True once after every change (the client saves then). */
  takeDirty(): boolean {
    const was = this.dirty;
    this.dirty = false;
    return was;
  }

  /** Conversations this device holds something of. */
  conversationIds(): string[] {
    return [...this.held.keys()];
  }

  has(conversationId: string): boolean {
    return this.held.has(conversationId);
  }

  /** How far the device holds the conversation with nothing missing below (0: nothing). */
  lastSeq(conversationId: string): number {
    return this.held.get(conversationId)?.lastSeq ?? 0;
  }

  /** The state to send in a sync round. */
  state(conversationId: string): ConversationState {
    const c = this.held.get(conversationId);
    if (!c) return { conversationId, lastSeq: 0, digest: EMPTY_STATE_DIGEST };
    const now = this.now();
    // A window holding a disappearing message changes with time: never kept.
    const digest =
      c.digest ??
      stateDigest(
        c.lastSeq,
        c.window.map((held) => toEntry(held, now)),
        sha256,
        c.fromSeq,
      );
    if (!c.window.some((held) => held.expiresAt !== undefined)) c.digest = digest;
    return {
      conversationId,
      lastSeq: c.lastSeq,
      digest,
      ...(c.fromSeq > 1 ? { fromSeq: c.fromSeq } : {}),
    };
  }

  /**
   * The user reads this conversation from `fromSeq` (the server listed it so): a device that holds
   * nothing of it yet starts there, holding nothing (so what follows is not above a hole).
   */
  startAt(conversationId: string, fromSeq: number): void {
    if (this.held.has(conversationId)) return;
    this.held.set(conversationId, {
      fromSeq,
      lastSeq: fromSeq - 1,
      window: [],
      above: new Map(),
    });
    this.reported.set(conversationId, fromSeq - 1);
    this.dirty = true;
  }

  /**
   * A stored message arrived (live, or in a sync page). Returns true if the device did not hold
   * it before. A message above a hole is held apart until what is missing arrives.
   */
  observe(message: DeliveredMessage): boolean {
    const c = this.conversation(message.conversationId);
    // Below lastSeq (held), or below what the user may read: nothing new.
    if (message.seq <= c.lastSeq || c.above.has(message.seq)) return false;
    const entry = heldOf(message);
    if (message.seq === c.lastSeq + 1) {
      this.append(c, entry);
      for (let next = c.above.get(c.lastSeq + 1); next; next = c.above.get(c.lastSeq + 1)) {
        c.above.delete(next.seq);
        this.append(c, next);
      }
    } else {
      c.above.set(message.seq, entry);
    }
    this.dirty = true;
    return true;
  }

  /**
   * The server's authoritative tail (`sync.reset`): what this device held of the conversation is
   * replaced by it (what it held above the tail stays, if it follows on); `fromSeq`, the first seq
   * the user may read, as the server said.
   */
  reset(
    conversationId: string,
    lastSeq: number,
    tail: readonly DeliveredMessage[],
    fromSeq = 1,
  ): void {
    const c = this.conversation(conversationId);
    const { from } = stateWindow(lastSeq, fromSeq);
    c.fromSeq = fromSeq;
    c.lastSeq = lastSeq;
    c.window = tail.filter((m) => m.seq >= from && m.seq <= lastSeq).map(heldOf);
    c.digest = undefined;
    for (const seq of c.above.keys()) if (seq <= lastSeq) c.above.delete(seq);
    for (let next = c.above.get(c.lastSeq + 1); next; next = c.above.get(c.lastSeq + 1)) {
      c.above.delete(next.seq);
      this.append(c, next);
    }
    // A reset may move the device back (it held what the server does not): report from there.
    this.reported.set(conversationId, Math.min(this.reported.get(conversationId) ?? 0, lastSeq));
    this.dirty = true;
  }

  /** The user is not in this conversation (any more): forget it. */
  drop(conversationId: string): void {
    this.held.delete(conversationId);
    this.reported.delete(conversationId);
    this.dirty = true;
  }

  /** Some conversation holds a message above a hole. */
  get hasHoles(): boolean {
    for (const c of this.held.values()) if (c.above.size > 0) return true;
    return false;
  }

  /** The `delivered` reports due: each conversation whose lastSeq moved past the last report. */
  takeReports(): { conversationId: string; seq: number }[] {
    const due: { conversationId: string; seq: number }[] = [];
    for (const [conversationId, c] of this.held) {
      if (c.lastSeq > (this.reported.get(conversationId) ?? 0)) {
        due.push({ conversationId, seq: c.lastSeq });
        this.reported.set(conversationId, c.lastSeq);
      }
    }
    return due;
  }

  private conversation(conversationId: string): Held {
    let c = this.held.get(conversationId);
    if (!c) {
      c = { fromSeq: 1, lastSeq: 0, window: [], above: new Map() };
      this.held.set(conversationId, c);
    }
    return c;
  }

  private append(c: Held, entry: HeldEntry): void {
    c.lastSeq = entry.seq;
    c.window.push(entry);
    if (c.window.length > STATE_WINDOW) c.window.splice(0, c.window.length - STATE_WINDOW);
    c.digest = undefined;
  }
}
