/**
 * A seeded mutator for protocol fuzzing: starts from valid examples and breaks them in the ways
 * clients (and attackers) do: fields removed, retyped, oversized, unknown fields added (including
 * `__proto__`), the type changed, the JSON truncated or corrupted, bytes that are not UTF-8. The
 * same seed gives the same cases, so a failure can be replayed with FUZZ_SEED.
 */

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One case: a text frame/body, or raw bytes (binary frames, broken UTF-8). */
export type FuzzPayload = { kind: 'text'; text: string } | { kind: 'bytes'; bytes: Buffer };

export class Mutator {
  constructor(private readonly random: () => number) {}

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** A value of any shape, from the kinds that break validators. */
  value(depth = 0): Json {
    const kinds = [
      () => null,
      () => this.random() < 0.5,
      () => this.pick([0, -1, 1, 1e20, -1e20, 2 ** 53, 2 ** 53 + 2, 0.5, Number.MAX_VALUE]),
      () => '',
      () => this.pick(['a', '0', '-1', 'null', 'true', '1e20', 'NaN', '__proto__', 'constructor']),
      () =>
        this.pick(['\u0000', '\u001b[2J', '\u202e', '\ud800', '😀', '字', '\u200b']).repeat(
          1 + this.int(20),
        ),
      () => 'x'.repeat(this.pick([64, 65, 256, 4001, 9000])),
      () => (depth < 3 ? [this.value(depth + 1), this.value(depth + 1)] : []),
      () => (depth < 3 ? { [this.key()]: this.value(depth + 1) } : {}),
      () => this.nested(this.pick([10, 100, 1000])),
    ];
    return this.pick(kinds)();
  }

  private key(): string {
    return this.pick(['type', 'ref', 'from', 'senderId', '__proto__', 'constructor', 'seq', 'x']);
  }

  private nested(depth: number): Json {
    let v: Json = 1;
    for (let i = 0; i < depth; i++) v = [v];
    return v;
  }

  /** A mutated copy of `valid` (1-3 mutations), as text or bytes. */
  mutate(valid: Record<string, Json>): FuzzPayload {
    const obj: Record<string, Json> = structuredClone(valid);
    const keys = Object.keys(obj);
    for (let n = 1 + this.int(3); n > 0; n--) {
      switch (this.int(6)) {
        case 0:
          if (keys.length > 0) delete obj[this.pick(keys)];
          break;
        case 1:
          if (keys.length > 0) obj[this.pick(keys)] = this.value();
          break;
        case 2:
          obj[this.key()] = this.value();
          break;
        case 3:
          obj.type = this.pick([
            'send',
            'sync',
            'read',
            'auth',
            'hello',
            'ack',
            'SEND',
            '',
            'x'.repeat(100),
          ]);
          break;
        case 4:
          if (keys.length > 0) obj[this.pick(keys)] = this.pick(['', 'x'.repeat(70), -1, 0, 1.5]);
          break;
        default:
          break;
      }
    }
    return this.encode(obj);
  }

  /** The object as JSON, sometimes broken on the way. */
  private encode(obj: Record<string, Json>): FuzzPayload {
    const text = this.random() < 0.05 ? JSON.stringify(this.value()) : JSON.stringify(obj);
    const r = this.random();
    // Bytes that are not UTF-8 end the socket (1007): rare, so the rest of a batch gets through.
    if (r < 0.004) {
      return { kind: 'bytes', bytes: Buffer.from([0xc3, 0x28, 0xff, 0xfe, ...Buffer.from(text)]) };
    }
    if (r < 0.04) return { kind: 'bytes', bytes: Buffer.from(text) };
    if (r < 0.12) return { kind: 'text', text: text.slice(0, this.int(text.length)) };
    if (r < 0.2) {
      const at = this.int(text.length);
      const junk = this.pick(['"', '{', '\\', ']', ',']);
      return { kind: 'text', text: `${text.slice(0, at)}${junk}${text.slice(at + 1)}` };
    }
    return { kind: 'text', text };
  }
}
