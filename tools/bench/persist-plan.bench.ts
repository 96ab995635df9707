/**
 * Micro-benchmark of what storage builds per message between its commit and its publish, with
 * no I/O: `resolvePlan` (the stored messages of a batch, with their seqs, times and members) and
 * `planDeliveries` (one delivery batch per gateway box), nanoseconds per message, for a batch of
 * `batch` sends to `batch` / 2 conversations of two members, each member with one socket on one
 * of two boxes.
 *
 *   npm run build && node dist/tools/bench/persist-plan.bench.js [batches] [batch] [warm-up batches]
 *
 * Prints wall-clock and CPU nanoseconds per message; run it a few times on a quiet machine.
 */
import { createEnvelope, type DeviceConnection, MessageAcceptedV1 } from '@parley/common';
import { planDeliveries } from '../../apps/storage/src/fanout/message-fanout.plan';
import {
  planPersist,
  resolvePlan,
  type MessageAcceptedEnvelope,
} from '../../apps/storage/src/messages/message-persist.plan';
import type { SeqAllocation } from '../../apps/storage/src/messages/messages.repository';
import { acceptedPayloads, positiveInt } from './bench-inputs';

const conversationId = (n: number) => `1763706000000-${n.toString(16).padStart(32, '0')}`;
const userId = (n: number) => `0b6f3c52-8a41-4f0e-9b1c-${n.toString(16).padStart(12, '0')}`;

function main(): void {
  const batches = positiveInt(process.argv[2], 50_000);
  const size = positiveInt(process.argv[3], 20);
  const warmup = positiveInt(process.argv[4], 10_000);
  const conversations = Math.max(1, Math.floor(size / 2));
  const events: MessageAcceptedEnvelope[] = acceptedPayloads(size).map((payload, i) =>
    createEnvelope(
      MessageAcceptedV1,
      {
        ...payload,
        conversationId: conversationId(i % conversations),
        senderId: userId(2 * (i % conversations)),
      },
      'gateway-1',
      'req-1',
    ),
  );
  const members = new Map(
    Array.from({ length: conversations }, (_, c) => [
      conversationId(c),
      [userId(2 * c), userId(2 * c + 1)],
    ]),
  );
  const serverTime = new Date();
  const sockets = new Map<string, DeviceConnection[]>(
    [...members.values()].flat().map((user, i) => [
      user,
      [
        {
          userId: user,
          gatewayId: `gateway-${1 + (i % 2)}`,
          connectionId: `c-${i}`,
          deviceId: `d-${i}`,
          since: serverTime.toISOString(),
        },
      ],
    ]),
  );
  const plan = planPersist(events, []);
  const allocations = new Map<string, SeqAllocation>(
    plan.seqRequests.map((r) => [
      r.conversationId,
      { conversationId: r.conversationId, firstSeq: 1_000, serverTime },
    ]),
  );
  const once = () => planDeliveries(resolvePlan(plan, allocations, members), sockets).size;

  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += once();
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < batches; i++) sink += once();
  const wall = Number(process.hrtime.bigint() - start) / (batches * size);
  const used = process.cpuUsage(cpuStart);
  const cpu = ((used.user + used.system) * 1000) / (batches * size);
  if (sink === 0) throw new Error('no delivery batch was planned');
  process.stdout.write(
    `node ${process.version}, ${batches} batches of ${size} messages after ${warmup} warm-up:` +
      ` resolvePlan + planDeliveries ${wall.toFixed(0)} ns/message wall, ${cpu.toFixed(0)} ns/message CPU\n`,
  );
}

if (require.main === module) main();
