/**
 * Micro-benchmark of kafkajs encoding a produce request, as the gateways do for every batch of
 * accepted sends (`EventPublisher` -> kafkajs's producer -> protocol Encoder): microseconds per
 * request, for
 *
 * - 3 records on 3 partitions: a gateway at about 1,000 messages/s on this project's machine
 *   (one request at a time, 2-3 records each);
 * - 30 records on 12 partitions: a busy gateway's fuller request.
 *
 *   npm run build && node dist/tools/bench/kafka-encode.bench.js [requests] [warm-up requests]
 *
 * It measures whatever kafkajs is installed, so with patches/kafkajs+2.2.4.patch applied (npm ci)
 * or not (`npx patch-package kafkajs --reverse`, then `npm ci` to put it back). Wall clock and
 * CPU time per request; run it a few times on a quiet machine.
 */
import { positiveInt } from './bench-options';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const produceV7 = require('kafkajs/src/protocol/requests/produce/v7/request') as (
  request: object,
) => { encode(): Promise<{ buffer: Buffer }> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Long = require('kafkajs/src/utils/long') as { fromNumber(n: number): unknown };

const CONVERSATION_ID = '1763706000000-3f2a0c9d8e7b6a5f4e3d2c1b0a998877';
const SENDER_ID = '0b6f3c52-8a41-4f0e-9b1c-6f1d2e3a4b5c';

/** A `message.accepted` record much as the gateway publishes it (envelope JSON, three headers). */
function record(i: number) {
  const payload = {
    conversationId: CONVERSATION_ID,
    clientMsgId: `01J9Z8K4${String(i).padStart(6, '0')}`,
    senderId: SENDER_ID,
    text: `hello bob, this is message ${i} of the benchmark: an ordinary sentence or two.`,
    acceptedAt: new Date(1764000000000 + i).toISOString(),
  };
  return {
    key: CONVERSATION_ID,
    value: JSON.stringify({ v: 1, type: 'message.accepted', id: `evt-${i}`, payload }),
    headers: { 'event-type': 'message.accepted', 'event-version': '1', 'trace-at': String(i) },
    timestamp: 1764000000000 + i,
  };
}

function request(records: number, partitions: number) {
  const all = Array.from({ length: records }, (_, i) => record(i));
  return () =>
    produceV7({
      acks: -1,
      timeout: 30000,
      producerId: Long.fromNumber(4711),
      producerEpoch: 0,
      topicData: [
        {
          topic: 'parley.messages.accepted.v1',
          partitions: Array.from({ length: partitions }, (_, p) => ({
            partition: p,
            firstSequence: 1000,
            messages: all.filter((_, i) => i % partitions === p),
          })),
        },
      ],
    }).encode();
}

async function measure(
  encode: () => Promise<{ buffer: Buffer }>,
  requests: number,
  warmup: number,
): Promise<{ wall: number; cpu: number; bytes: number }> {
  let bytes = 0;
  for (let i = 0; i < warmup; i++) bytes = (await encode()).buffer.length;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < requests; i++) bytes = (await encode()).buffer.length;
  const wall = Number(process.hrtime.bigint() - start);
  const cpu = process.cpuUsage(cpuStart);
  return { wall: wall / requests / 1000, cpu: (cpu.user + cpu.system) / requests, bytes };
}

async function main(): Promise<void> {
  const requests = positiveInt(process.argv[2], 20_000);
  const warmup = positiveInt(process.argv[3], 10_000);
  process.stdout.write(
    `node ${process.version}, ${requests} requests after ${warmup} warm-up, µs per request encoded` +
      ` (wall clock; CPU time):\n`,
  );
  const cases: Array<[string, () => Promise<{ buffer: Buffer }>]> = [
    ['3 records on 3 partitions', request(3, 3)],
    ['30 records on 12 partitions', request(30, 12)],
  ];
  for (const [name, encode] of cases) {
    const { wall, cpu, bytes } = await measure(encode, requests, warmup);
    process.stdout.write(
      `${name.padEnd(30)} ${wall.toFixed(1).padStart(7)} µs wall ${cpu.toFixed(1).padStart(7)} µs CPU  (${bytes} bytes)\n`,
    );
  }
}

if (require.main === module) void main();
