import { createRequire } from 'node:module';

/** What ws calls on bufferutil (its optional native helper) for every frame of 32+ bytes. */
interface Masking {
  mask(source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number): void;
  unmask(buffer: Buffer, mask: Buffer): void;
}

const load = createRequire(__filename);

/**
 * ws masks what a client sends and unmasks what a gateway receives with bufferutil when it can
 * load it, and silently in a JavaScript loop when it cannot (34 µs against 0.7 for a 13 KB
 * `sync.states` frame, docs/PERFORMANCE.md). bufferutil loads its prebuilt binary for this
 * platform; if that ever stopped loading, this is where it shows.
 */
describe('WebSocket masking (bufferutil)', () => {
  const native = load('bufferutil') as Masking;
  const fallback = load('bufferutil/fallback') as Masking;

  it('is the native build, not the JavaScript fallback', () => {
    expect(native.mask).not.toBe(fallback.mask);
    expect(native.unmask).not.toBe(fallback.unmask);
  });

  it('masks and unmasks a frame-sized payload as the fallback does', () => {
    const payload = Buffer.from(JSON.stringify({ type: 'sync.states', pad: 'x'.repeat(13_000) }));
    const key = Buffer.from([0x3c, 0xa1, 0x07, 0xf2]);
    const byNative = Buffer.alloc(payload.length + 3);
    const byFallback = Buffer.alloc(payload.length + 3);
    native.mask(payload, key, byNative, 3, payload.length);
    fallback.mask(payload, key, byFallback, 3, payload.length);
    expect(byNative.equals(byFallback)).toBe(true);
    expect(byNative.subarray(3).equals(payload)).toBe(false);

    const received = byNative.subarray(3);
    native.unmask(received, key);
    expect(received.equals(payload)).toBe(true);
  });
});
