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
import { createEnvelope, MessageAcceptedV1, Topic } from '@parley/common/contracts';
import { toOutgoingRecord } from '@parley/kafka/producer/producer-record';
import { acceptedPayloads, positiveInt } from './bench-inputs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const produceV7 = require('kafkajs/src/protocol/requests/produce/v7/request') as (
  request: object,
) => { encode(): Promise<{ buffer: Buffer }> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Long = require('kafkajs/src/utils/long') as { fromNumber(n: number): unknown };

/**
 * One produce request's encoding, over `records` `message.accepted` records made as the gateway
 * makes them (createEnvelope, then EventPublisher's toOutgoingRecord) and spread over
 * `partitions`. Everything but the encoding is built once, outside the timed loop.
 */
function request(records: number, partitions: number): () => Promise<{ buffer: Buffer }> {
  const messages = acceptedPayloads(records).map((payload) =>
    toOutgoingRecord(
      Topic.MessagesAccepted,
      payload.conversationId,
      createEnvelope(MessageAcceptedV1, payload, 'gateway', 'req-1'),
    ),
  );
  const body = {
    acks: -1,
    timeout: 30000,
    producerId: Long.fromNumber(4711),
    producerEpoch: 0,
    topicData: [
      {
        topic: Topic.MessagesAccepted,
        partitions: Array.from({ length: partitions }, (_, p) => ({
          partition: p,
          firstSequence: 1000,
          messages: messages.filter((_, i) => i % partitions === p),
        })),
      },
    ],
  };
  return () => produceV7(body).encode();
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
