/**
 * Micro-benchmark of kafkajs's own work per fetch on the consumer side: the fetch answer turned
 * into partition batches (ConsumerGroup.fetch) and each batch through the runner
 * (Runner.handleBatch, with a no-op eachBatch), for a consumer assigned as many partitions as
 * storage is (24: messages 12, cursors 6, account events 6) when one of them brought records.
 * The broker is a fake (libs/testing's fake-fetching-group.ts), so what is timed is the JavaScript
 * a fetch costs beyond the network and the decoding of its answer.
 *
 *   npm run build && node dist/tools/bench/kafka-fetch.bench.js [fetches] [partitions] [records]
 *
 * It measures whatever kafkajs is installed: with patches/kafkajs+2.2.4.patch (npm ci), empty
 * partitions make no batch; without it (`npx patch-package kafkajs --reverse`, then `npm ci` to
 * put it back) every assigned partition makes one. CPU time per fetch; run it a few times.
 */
import { fetchingGroup, noopKafkaLogger } from '@parley/testing/fake-fetching-group';
import { positiveInt } from './bench-inputs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Runner = require('kafkajs/src/consumer/runner') as new (options: object) => {
  running: boolean;
  fetch(nodeId: number): Promise<unknown[]>;
  handleBatch(batch: unknown): Promise<void>;
};

async function main(): Promise<void> {
  const fetches = positiveInt(process.argv[2], 200_000);
  const partitionCount = positiveInt(process.argv[3], 24);
  const records = positiveInt(process.argv[4], 7);
  const partitions = Array.from({ length: partitionCount }, (_, p) => p);
  const answer = partitions.map((partition) => ({
    partition,
    messages:
      partition === 0 ? Array.from({ length: records }, (_, i) => ({ offset: String(5 + i) })) : [],
  }));
  const group = fetchingGroup(partitions, answer);
  let handed = 0;
  const runner = new Runner({
    logger: noopKafkaLogger,
    consumerGroup: group,
    instrumentationEmitter: { emit() {} },
    eachBatch: () => {
      handed += 1;
      return Promise.resolve();
    },
    heartbeatInterval: 3000,
    autoCommit: false,
  });
  runner.running = true;
  Object.assign(group, { resolveOffset() {} });

  const oneFetch = async () => {
    for (const batch of await runner.fetch(1)) await runner.handleBatch(batch);
  };
  for (let i = 0; i < Math.min(20_000, fetches); i++) await oneFetch();
  handed = 0;
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  for (let i = 0; i < fetches; i++) await oneFetch();
  const wallUs = Number(process.hrtime.bigint() - wall) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuUs = used.user + used.system;
  console.log(
    `${fetches} fetches of ${partitionCount} partitions, ${records} records on one: ` +
      `${(cpuUs / fetches).toFixed(2)} µs CPU (${(wallUs / fetches).toFixed(2)} µs wall) per fetch; ` +
      `${handed / fetches} batch(es) handed to eachBatch per fetch`,
  );
}

void main();
