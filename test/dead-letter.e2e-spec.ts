import {
  AccountLoggedInV1,
  ConsumerGroup,
  createEnvelope,
  DeadLetterV1,
  EventDecoder,
  PayloadOf,
  Topic,
} from '@parley/common';
import { KafkaTestClient } from '@parley/testing/kafka-test-client';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { testStack } from './support/test-stack';

type DeadLetter = PayloadOf<typeof DeadLetterV1>;

async function pollUntil<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('dead-letter path (presence and storage consuming account events)', () => {
  const stack = testStack();
  const kafka = new KafkaTestClient(stack.kafkaBrokers);

  afterAll(() => kafka.close());

  it('dead-letters invalid records with reason and original bytes, then processes the valid one after them', async () => {
    // One key for all four records: one partition, so the valid event comes after the bad ones.
    const userId = randomUUID();
    const notJson = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(' not json')]);
    const unknownType = JSON.stringify({
      ...createEnvelope(AccountLoggedInV1, { userId, at: new Date().toISOString() }, 'e2e'),
      type: 'account.teleported',
    });
    const badPayload = JSON.stringify({
      ...createEnvelope(AccountLoggedInV1, { userId, at: new Date().toISOString() }, 'e2e'),
      payload: { userId: 'not-a-uuid', at: 'yesterday' },
    });
    const at = new Date(Date.now() - 60_000).toISOString();
    const valid = JSON.stringify(createEnvelope(AccountLoggedInV1, { userId, at }, 'e2e'));

    const sent = [notJson, Buffer.from(unknownType), Buffer.from(badPayload), Buffer.from(valid)];
    const { partition, baseOffset } = await kafka.produceRaw(
      Topic.AccountEvents,
      sent.map((value) => ({ key: userId, value, headers: { 'x-e2e': 'dead-letter' } })),
    );
    const offsetOf = (i: number) => (BigInt(baseOffset) + BigInt(i)).toString();

    // 1. The three invalid records are on the dead-letter topic, keyed by their original key:
    // once per consumer group of the topic (presence, and storage for registrations), each
    // group's own verdict.
    const decoder = new EventDecoder([DeadLetterV1]);
    const records = await kafka.collect(
      Topic.DeadLetter,
      (r) => r.key === userId,
      (kept) => kept.length >= 6,
    );
    const all: DeadLetter[] = records.map((r) => {
      const decoded = decoder.decode(r.value);
      if (!decoded.ok)
        throw new Error(`dead letter does not match its contract: ${decoded.reason}`);
      expect(r.headers['event-type']).toBe('dead-letter');
      return decoded.event.payload;
    });
    for (const group of [ConsumerGroup.Presence, ConsumerGroup.Storage]) {
      const letters = all.filter((l) => l.consumerGroup === group);
      letters.sort((a, b) => Number(BigInt(a.sourceOffset) - BigInt(b.sourceOffset)));
      expect(letters).toHaveLength(3);
      letters.forEach((letter, i) => {
        expect(letter).toMatchObject({
          sourceTopic: Topic.AccountEvents,
          sourcePartition: partition,
          sourceOffset: offsetOf(i),
          consumerGroup: group,
          originalKey: userId,
          originalHeaders: { 'x-e2e': 'dead-letter' },
        });
        expect(Buffer.from(letter.originalValueBase64 ?? '', 'base64').equals(sent[i])).toBe(true);
      });
      expect(letters[0].reason).toBe('value is not valid JSON');
      expect(letters[1].reason).toBe('unknown event type account.teleported v1');
      expect(letters[2].reason).toMatch(/^invalid account\.logged-in payload: .*userId/);
    }

    // 2. The valid event behind them was processed: presence wrote the user's last seen (a first
    // sighting goes to PostgreSQL at once).
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const seen = await pollUntil(
        async () => {
          const { rows } = await db.query<{ last_seen_at: Date }>(
            'SELECT last_seen_at FROM user_presence WHERE user_id = $1',
            [userId],
          );
          return rows[0]?.last_seen_at.toISOString();
        },
        30_000,
        'presence to record the valid event',
      );
      expect(seen).toBe(at);
    } finally {
      await db.end();
    }

    // 3. ... and committed past all four: nothing is left to redeliver.
    await pollUntil(
      async () => {
        const committed = await kafka.committedOffset(
          ConsumerGroup.Presence,
          Topic.AccountEvents,
          partition,
        );
        return committed !== null && BigInt(committed) >= BigInt(offsetOf(4)) ? true : undefined;
      },
      10_000,
      'the presence group to commit past the batch',
    );

    const metrics = await (await fetch(`${stack.presence}/metrics`)).text();
    expect(metrics).toMatch(
      /parley_kafka_consumed_total\{[^}]*result="dead_lettered"[^}]*\} [1-9]/,
    );
  });
});
