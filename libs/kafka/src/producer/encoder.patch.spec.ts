/**
 * kafkajs 2.2.4's protocol Encoder, as patched by patches/kafkajs+2.2.4.patch (applied on `npm ci`
 * by patch-package): its buffers come from Node's pool without zero-filling, and varints are
 * written straight into them. Every request to the broker is encoded by it, so the bytes must be
 * exactly what the unpatched encoder wrote, and none of a reused buffer's old bytes may leak out.
 * What it saves is measured by tools/bench/kafka-encode.bench.ts.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Encoder = require('kafkajs/src/protocol/encoder') as new () => KafkaEncoder;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => KafkaDecoder;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Long = require('kafkajs/src/utils/long') as {
  MAX_VALUE: unknown;
  MIN_VALUE: unknown;
  fromNumber(n: number): { toString(): string };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const produceV7 = require('kafkajs/src/protocol/requests/produce/v7/request') as (
  request: object,
) => { encode(): Promise<KafkaEncoder> };

interface KafkaEncoder {
  buffer: Buffer;
  writeVarInt(value: number): KafkaEncoder;
  writeVarLong(value: unknown): KafkaEncoder;
  writeString(value: string): KafkaEncoder;
}

interface KafkaDecoder {
  readVarInt(): number;
  readVarLong(): { toString(): string };
}

/** A produce request as a gateway sends one: records on two partitions, keys, headers, UTF-8. */
async function produceRequest(): Promise<Buffer> {
  const records = Array.from({ length: 12 }, (_, i) => ({
    key: `1763706000000-${i}é`,
    value: JSON.stringify({ text: `message ${i} ✓ ${'x'.repeat(i * 50)}`, lone: '\uD800' }),
    headers: { 'event-type': 'message.accepted', 'trace-at': String(1764000000000 + i) },
    timestamp: 1764000000000 + i * 1000,
  }));
  const request = produceV7({
    acks: -1,
    timeout: 30000,
    producerId: Long.fromNumber(4711),
    producerEpoch: 2,
    topicData: [
      {
        topic: 'parley.messages.accepted.v1',
        partitions: [
          { partition: 0, firstSequence: 2147483000, messages: records },
          { partition: 7, firstSequence: 0, messages: records.slice(0, 1) },
        ],
      },
    ],
  });
  return (await request.encode()).buffer;
}

describe('kafkajs Encoder (patched: pooled buffers, varints written in place)', () => {
  afterEach(() => jest.restoreAllMocks());

  it('writes zigzag varints as LEB128, byte for byte, and reads them back', () => {
    const cases: Array<[number, number[]]> = [
      [0, [0x00]],
      [1, [0x02]],
      [-1, [0x01]],
      [63, [0x7e]],
      [-64, [0x7f]],
      [64, [0x80, 0x01]],
      [300, [0xd8, 0x04]],
      [2 ** 30, [0x80, 0x80, 0x80, 0x80, 0x08]],
      [2147483647, [0xfe, 0xff, 0xff, 0xff, 0x0f]],
      [-2147483648, [0xff, 0xff, 0xff, 0xff, 0x0f]],
    ];
    for (const [value, bytes] of cases) {
      expect([...new Encoder().writeVarInt(value).buffer]).toEqual(bytes);
    }
    const all = new Encoder();
    for (const [value] of cases) all.writeVarInt(value);
    const decoder = new Decoder(all.buffer);
    expect(cases.map(() => decoder.readVarInt())).toEqual(cases.map(([value]) => value));
  });

  it('writes 64-bit varints in place, the extremes included', () => {
    expect([...new Encoder().writeVarLong(300).buffer]).toEqual([0xd8, 0x04]);
    const values = [
      0,
      -1,
      2 ** 40,
      -(2 ** 40),
      Number.MAX_SAFE_INTEGER,
      Long.MAX_VALUE,
      Long.MIN_VALUE,
    ];
    const encoder = new Encoder();
    for (const value of values) encoder.writeVarLong(value);
    const decoder = new Decoder(encoder.buffer);
    expect(values.map(() => decoder.readVarLong().toString())).toEqual([
      '0',
      '-1',
      String(2 ** 40),
      String(-(2 ** 40)),
      String(Number.MAX_SAFE_INTEGER),
      '9223372036854775807',
      '-9223372036854775808',
    ]);
  });

  it('takes its buffers from the pool without zero-filling them, and never exposes what they held', async () => {
    const real = Buffer.allocUnsafe.bind(Buffer);
    // Whatever a reused buffer held: every unwritten byte would show as this poison.
    const poisoned = (poison: number) =>
      jest.spyOn(Buffer, 'allocUnsafe').mockImplementation((size) => real(size).fill(poison));
    const spy = poisoned(0x00);
    const clean = await produceRequest();
    expect(spy).toHaveBeenCalled(); // the patch is applied: no Buffer.alloc per encoder
    spy.mockRestore();
    poisoned(0xa5);
    const dirty = await produceRequest();
    expect(dirty.equals(clean)).toBe(true);
    // Growing past the first 512 bytes copies only what was written.
    expect(clean.length).toBeGreaterThan(4096);
  });

  it('writes strings with their UTF-8 length, multi-byte and lone surrogates too', () => {
    const buffer = new Encoder().writeString('é✓\uD800').buffer;
    expect(buffer.readInt16BE(0)).toBe(2 + 3 + 3);
    expect(buffer.subarray(2).toString('utf8')).toBe('é✓\uFFFD');
  });
});
