/**
 * The pipeline floor's storage: consumes the floor's topic, writes what each fetch brought in ONE
 * statement (each conversation's seq range taken from its counter and the rows inserted with
 * those seqs, as Parley's append does; the partition batches that arrive while a statement runs
 * go together in the next), publishes each committed group once to every gateway it concerns
 * (Redis), and only then commits the offsets, at most once every 200 ms as storage does; its
 * next fetch lingers as storage's does. Nothing else: no envelope, no membership, no retries
 * looked up, no receipts. Started by pipeline-floor.bench.ts with its settings in the environment.
 */
import Redis from 'ioredis';
import { Pool } from 'pg';
import { nextOffset } from '@parley/kafka/consumer/batch-plan';
import { FetchLinger } from '@parley/kafka/consumer/fetch-linger';
import {
  type CommitOffsetsFn,
  OffsetCommitBatcher,
} from '@parley/kafka/consumer/offset-commit.batcher';
import { createKafkaClient } from '@parley/kafka/kafka-client.factory';
import {
  FLOOR_TOPIC,
  floorChannel,
  type FloorSend,
  type FloorStored,
  gatewaysFor,
  readSend,
  requiredEnv as env,
} from './floor-wire';

/** One statement per group: the counters moved by each conversation's count, the rows numbered. */
const APPEND = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[])
      WITH ORDINALITY AS t(conv, sender, cmid, body, ord)),
  counts AS (SELECT conv, count(*) AS n FROM input GROUP BY conv),
  bumped AS (
    INSERT INTO floor_conversations AS fc (id, last_seq) SELECT conv, n FROM counts
    ON CONFLICT (id) DO UPDATE SET last_seq = fc.last_seq + excluded.last_seq
    RETURNING id, last_seq),
  numbered AS (
    SELECT i.*, b.last_seq - count(*) OVER (PARTITION BY i.conv)
      + row_number() OVER (PARTITION BY i.conv ORDER BY i.ord) AS seq
    FROM input i JOIN bumped b ON b.id = i.conv)
  INSERT INTO floor_messages (conversation_id, seq, sender, client_msg_id, body)
  SELECT conv, seq, sender, cmid, body FROM numbered
  RETURNING sender, client_msg_id, seq`;

const toError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

interface Waiting {
  sends: FloorSend[];
  done: (err?: unknown) => void;
}

async function main(): Promise<void> {
  const gateways = Number(env('FLOOR_GATEWAYS'));
  const pool = new Pool({ connectionString: env('FLOOR_DATABASE_URL'), max: 1 });
  const redis = new Redis(env('FLOOR_REDIS'));
  const kafka = createKafkaClient({ clientId: 'floor-storage', brokers: [env('FLOOR_KAFKA')] });
  const consumer = kafka.consumer({
    groupId: env('FLOOR_GROUP'),
    minBytes: 1,
    maxWaitTimeInMs: 1_500,
    allowAutoTopicCreation: false,
  });

  // Storage's fetch linger (KAFKA_FETCH_LINGER_MS 10 from 200 records a second): the next fetch
  // waits for it, so what arrives meanwhile comes in one fetch.
  const linger = new FetchLinger(10, 200);
  // The group commit: what waits while a statement runs goes in the next one.
  let waiting: Waiting[] = [];
  let writing = false;
  const write = async (): Promise<void> => {
    if (writing || waiting.length === 0) return;
    writing = true;
    const group = waiting;
    waiting = [];
    const sends = group.flatMap((w) => w.sends);
    try {
      const { rows } = await pool.query<{ sender: number; client_msg_id: string; seq: string }>({
        name: 'floor-append',
        text: APPEND,
        values: [
          sends.map((s) => s.k),
          sends.map((s) => s.from),
          sends.map((s) => s.c),
          sends.map((s) => s.t),
        ],
      });
      const seqs = new Map(rows.map((r) => [`${r.sender}:${r.client_msg_id}`, Number(r.seq)]));
      // In the fetch's order, which is each conversation's seq order.
      const stored: FloorStored[] = sends.map((s) => ({
        ...s,
        seq: seqs.get(`${s.from}:${s.c}`) ?? 0,
      }));
      const payload = JSON.stringify(stored);
      const publishes = redis.pipeline();
      for (const gateway of gatewaysFor(stored, gateways))
        publishes.publish(floorChannel(gateway), payload);
      await publishes.exec();
      for (const w of group) w.done();
    } catch (err) {
      for (const w of group) w.done(err);
    } finally {
      writing = false;
      setImmediate(() => void write());
    }
  };

  await consumer.connect();
  await consumer.subscribe({ topic: FLOOR_TOPIC, fromBeginning: false });
  // Offsets as storage commits them (KafkaBatchTransport): in the background once the group is
  // written and published, what finished meanwhile in one request, at most one every 200 ms
  // (KAFKA_COMMIT_INTERVAL_MS). kafkajs's own auto-commit sends one request per partition batch.
  let committer: CommitOffsetsFn | undefined;
  const commits = new OffsetCommitBatcher((topics) => {
    if (!committer) return Promise.reject(new Error('not consuming yet'));
    return committer(topics);
  }, 200);
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 12,
    eachBatch: async (payload) => {
      const { batch } = payload;
      const sends: FloorSend[] = [];
      for (const m of batch.messages) {
        try {
          const send = readSend(JSON.parse(String(m.value)));
          if (send) sends.push(send);
        } catch {
          // Not the floor's: skipped (the bench writes nothing else here).
        }
      }
      const written =
        sends.length === 0
          ? Promise.resolve()
          : new Promise<void>((resolve, reject) => {
              waiting.push({
                sends,
                done: (err) => (err === undefined ? resolve() : reject(toError(err))),
              });
              if (waiting.length === 1) setImmediate(() => void write());
            });
      await Promise.all([written, linger.pause(batch.messages.length)]);
      payload.resolveOffset(batch.lastOffset());
      committer = (topics) => payload.commitOffsetsIfNecessary({ topics });
      commits
        .commit(batch.topic, batch.partition, nextOffset(batch.lastOffset()))
        .catch((err: unknown) =>
          process.stderr.write(`[floor-storage] offset commit failed: ${String(err)}\n`),
        );
    },
  });
  process.stdout.write('ready\n');

  const stop = (): void => {
    void commits
      .settled()
      .then(() => consumer.disconnect())
      .then(() => pool.end())
      .finally(() => {
        redis.disconnect();
        process.exit(0);
      });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`[floor-storage] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
