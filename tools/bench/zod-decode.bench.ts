/**
 * Micro-benchmark of the schema validation on the message path: nanoseconds per decode of
 *
 * - a typical `send` client frame through `decodeClientFrame` (the gateway, per frame received),
 * - a typical `message.accepted` Kafka record through the EventDecoder of its topic (storage, per
 *   record consumed: JSON, envelope and payload),
 * - the producer's side of the same event: `createEnvelope`, which validates the payload against
 *   its contract (the gateway, per send published).
 *
 *   npm run build && node dist/tools/bench/zod-decode.bench.js [iterations] [warm-up iterations]
 *
 * Each case runs its warm-up, then `iterations` timed decodes over 64 distinct inputs (so no
 * single string is special), and prints ns/op by the wall clock and by the process's CPU time.
 * Run it on a quiet machine, a few times: the figures move with CPU frequency and whatever else
 * runs (CPU time less so: time the process waits for a core is not counted).
 */
import {
  createEnvelope,
  EventDecoder,
  MessageAcceptedV1,
  Topic,
  TOPIC_CONTRACTS,
} from '@parley/common/contracts';
import { decodeClientFrame } from '@parley/protocol';
import { acceptedPayloads, CONVERSATION_ID, positiveInt } from './bench-inputs';

const VARIANTS = 64;

/** What a client sends for a message to a known conversation (the client library's frame). */
function sendFrames(): string[] {
  return Array.from({ length: VARIANTS }, (_, i) =>
    JSON.stringify({
      type: 'send',
      clientMsgId: `01J9Z8K4${String(i).padStart(6, '0')}`,
      conversationId: CONVERSATION_ID,
      text: `hello bob, this is message ${i} of the benchmark: an ordinary sentence or two.`,
      accepted: false,
    }),
  );
}

/** A `message.accepted` record's value as the gateway publishes it. */
function acceptedRecords(): Buffer[] {
  return acceptedPayloads(VARIANTS).map((payload) =>
    Buffer.from(JSON.stringify(createEnvelope(MessageAcceptedV1, payload, 'gateway', 'req-1'))),
  );
}

interface Case {
  name: string;
  /** One operation on input `i % VARIANTS`; returns something so the work cannot be dropped. */
  run(i: number): unknown;
}

function cases(): Case[] {
  const frames = sendFrames();
  const records = acceptedRecords();
  const payloads = acceptedPayloads(VARIANTS);
  const decoder = new EventDecoder(TOPIC_CONTRACTS[Topic.MessagesAccepted]);
  return [
    {
      name: 'send frame, decodeClientFrame',
      run: (i) => {
        const decoded = decodeClientFrame(frames[i % VARIANTS]);
        if (!decoded.ok) throw new Error(`send frame refused: ${decoded.problem.message}`);
        return decoded.frame;
      },
    },
    {
      name: 'message.accepted record, EventDecoder',
      run: (i) => {
        const decoded = decoder.decode(records[i % VARIANTS]);
        if (!decoded.ok) throw new Error(`record refused: ${decoded.reason}`);
        return decoded.event;
      },
    },
    {
      name: 'message.accepted payload, createEnvelope',
      run: (i) => createEnvelope(MessageAcceptedV1, payloads[i % VARIANTS], 'gateway'),
    },
  ];
}

/** Wall-clock and CPU (user + system, every thread of the process) nanoseconds per operation. */
function measure(c: Case, iterations: number, warmup: number): { wall: number; cpu: number } {
  let sink = 0;
  for (let i = 0; i < warmup; i++) if (c.run(i)) sink++;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) if (c.run(i)) sink++;
  const wall = Number(process.hrtime.bigint() - start);
  const cpu = process.cpuUsage(cpuStart);
  if (sink !== iterations + warmup) throw new Error('a decode returned nothing');
  return { wall: wall / iterations, cpu: ((cpu.user + cpu.system) * 1000) / iterations };
}

function main(): void {
  const iterations = positiveInt(process.argv[2], 200_000);
  const warmup = positiveInt(process.argv[3], 50_000);
  process.stdout.write(
    `node ${process.version}, ${iterations} iterations after ${warmup} warm-up, ns/op` +
      ` (wall clock; CPU time, which a busy machine's preemptions do not inflate):\n`,
  );
  for (const c of cases()) {
    const { wall, cpu } = measure(c, iterations, warmup);
    process.stdout.write(
      `${c.name.padEnd(42)} ${wall.toFixed(0).padStart(7)} ns/op wall ${cpu.toFixed(0).padStart(7)} ns/op CPU\n`,
    );
  }
}

if (require.main === module) main();
