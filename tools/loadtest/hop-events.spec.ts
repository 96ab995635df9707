import { presenceChannelPrefix, RedisChannels } from '@parley/common/redis/redis-values';
import {
  classifyBatch,
  countPresencePublish,
  countPublish,
  deliveryChannels,
  diffCounts,
  emptyPresenceTally,
  emptyPublishTally,
  envVar,
  kafkaProducedByTopic,
  parseCounterByLabel,
  presenceChannelPattern,
} from './hop-events';

const exposition = (accepted: number, cursors: number) =>
  [
    '# HELP parley_kafka_produced_total Records acknowledged by Kafka (acks=all), by topic.',
    '# TYPE parley_kafka_produced_total counter',
    `parley_kafka_produced_total{topic="parley.messages.accepted.v1",service="gateway"} ${accepted}`,
    `parley_kafka_produced_total{service="gateway",topic="parley.cursors.v1"} ${cursors}`,
    'parley_kafka_consumed_total{topic="parley.messages.accepted.v1",group="g",result="ok"} 999',
    'parley_kafka_produced_total_other{topic="x"} 5',
  ].join('\n');

describe('Kafka records produced', () => {
  it('sums by topic over processes, whatever the label order', () => {
    const produced = kafkaProducedByTopic([exposition(10, 3), exposition(5, 0)]);
    expect(produced).toEqual(
      new Map([
        ['parley.messages.accepted.v1', 15],
        ['parley.cursors.v1', 3],
      ]),
    );
  });

  it('diffs two reads, never below zero (a process restarted) and without empty topics', () => {
    const before = parseCounterByLabel(exposition(10, 3), 'parley_kafka_produced_total', 'topic');
    const after = parseCounterByLabel(exposition(110, 3), 'parley_kafka_produced_total', 'topic');
    after.set('parley.gateway.heartbeats.v1', 4);
    expect(diffCounts(before, after)).toEqual(
      new Map([
        ['parley.messages.accepted.v1', 100],
        ['parley.gateway.heartbeats.v1', 4],
      ]),
    );
    expect(diffCounts(after, before)).toEqual(new Map());
  });
});

describe('Redis delivery publishes', () => {
  const item = (ids: string[], channel = false) => ({
    message: { conversationId: 'c', seq: 1 },
    connectionIds: ids,
    ...(channel ? { channel: true } : {}),
  });

  it('tells what a batch carried', () => {
    expect(
      classifyBatch(JSON.stringify({ version: 1, items: [item(['a', 'b']), item(['c'])] })),
    ).toEqual({ items: 2, namedSockets: 3, receipts: 0, other: 0, typing: 0, typingSockets: 0 });
    expect(
      classifyBatch(JSON.stringify({ version: 1, items: [], receipts: [{}, {}], acks: [{}] })),
    ).toEqual({ items: 0, namedSockets: 0, receipts: 2, other: 1, typing: 0, typingSockets: 0 });
    expect(classifyBatch('not json')).toBeUndefined();
    expect(classifyBatch('{"version":1}')).toBeUndefined();
  });

  it('counts box publishes with messages, broadcasts, receipt-only and other publishes', () => {
    const tally = emptyPublishTally();
    countPublish(tally, false, JSON.stringify({ version: 1, items: [item(['a'])] }));
    countPublish(tally, false, JSON.stringify({ version: 1, items: [item(['b', 'c'])] }));
    countPublish(tally, true, JSON.stringify({ version: 1, items: [item([], true)] }));
    countPublish(tally, false, JSON.stringify({ version: 1, items: [], receipts: [{}] }));
    countPublish(tally, false, JSON.stringify({ version: 1, items: [], refusals: [{}] }));
    countPublish(tally, false, '?');
    expect(tally).toMatchObject({
      publishes: 6,
      boxMessagePublishes: 2,
      broadcastPublishes: 1,
      receiptPublishes: 1,
      otherPublishes: 2,
      items: 3,
      namedSockets: 3,
      receiptEntries: 1,
    });
    expect(tally.bytes).toBeGreaterThan(100);
  });

  it('names the delivery channels of a cluster as RedisChannels does', () => {
    const { boxPattern, broadcast } = deliveryChannels('stack-3000');
    expect(boxPattern).toBe('parley:stack-3000:deliveries:*');
    expect(RedisChannels.delivery('stack-3000', 'gateway-3001')).toBe(
      boxPattern.replace('*', 'gateway-3001'),
    );
    expect(broadcast).toBe(RedisChannels.channelDeliveries('stack-3000'));
  });
});

describe('envVar', () => {
  it('reads one variable of a NUL-separated environment', () => {
    const environ = [
      'PORT=3000',
      'REDIS_URL=redis://127.0.0.1:6379/0',
      'PARLEY_CLUSTER_ID=stack-3000',
      '',
    ].join('\0');
    expect(envVar(environ, 'PARLEY_CLUSTER_ID')).toBe('stack-3000');
    expect(envVar(environ, 'REDIS_URL')).toBe('redis://127.0.0.1:6379/0');
    expect(envVar(environ, 'PORT')).toBe('3000');
    expect(envVar(environ, 'POR')).toBeUndefined();
  });
});

describe('presence hops', () => {
  it('counts typing carried in delivery batches, alone or beside messages', () => {
    const typing = (ids: string[]) => ({
      conversationId: 'c',
      userId: 'u',
      username: 'n',
      expiresAt: 'x',
      connectionIds: ids,
    });
    expect(
      classifyBatch(JSON.stringify({ version: 1, items: [], typing: [typing(['a', 'b'])] })),
    ).toMatchObject({ items: 0, typing: 1, typingSockets: 2 });
    expect(classifyBatch(JSON.stringify({ version: 1, typing: [typing(['a'])] }))).toMatchObject({
      typing: 1,
    });
    const tally = emptyPublishTally();
    countPublish(tally, false, JSON.stringify({ version: 1, items: [], typing: [typing(['a'])] }));
    countPublish(
      tally,
      false,
      JSON.stringify({ version: 1, items: [{ connectionIds: ['b'] }], typing: [typing(['b'])] }),
    );
    expect(tally).toMatchObject({
      publishes: 2,
      typingPublishes: 1,
      boxMessagePublishes: 1,
      typingEntries: 2,
      typingSockets: 2,
    });
  });

  it("counts each change on a user's presence channel, by user and by what it says", () => {
    const pattern = presenceChannelPattern('stack-3000');
    const userId = '6f1c7f8e-3b1a-4d55-9d7e-1a2b3c4d5e6f';
    const channel = RedisChannels.presence('stack-3000', userId);
    expect(channel.startsWith(pattern.slice(0, -1))).toBe(true);
    expect(pattern.slice(0, -1)).toBe(presenceChannelPrefix('stack-3000'));
    const tally = emptyPresenceTally();
    const change = (online: boolean) =>
      JSON.stringify({ version: 1, userId, online, lastSeenAt: null });
    countPresencePublish(tally, channel, change(false));
    countPresencePublish(tally, channel, change(true));
    countPresencePublish(tally, RedisChannels.presence('stack-3000', 'other'), '?');
    expect(tally).toMatchObject({ publishes: 3, online: 1, offline: 1, unreadable: 1 });
    expect(tally.perUser).toEqual(
      new Map([
        [userId, 2],
        ['other', 1],
      ]),
    );
  });
});
