import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { watchRedisLiveness } from '@parley/common';
import Redis from 'ioredis';
import { BlockableProxy } from '@parley/testing';
import { RedisSubscription } from './redis-subscription';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/14';

async function waitFor(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('RedisSubscription (real Redis)', () => {
  const name = `sub-spec-${randomUUID().slice(0, 8)}`;
  const channel = `subscription-spec:${randomUUID()}`;
  // The subscriber is a duplicate of this connection: it carries the name CLIENT KILL finds.
  const base = new Redis(REDIS_URL, { connectionName: name, lazyConnect: true });
  const publisher = new Redis(REDIS_URL);
  const heard: string[] = [];
  let resubscribed = 0;
  /** `resubscribed` as it was each time the subscription said it was lost. */
  const lost: number[] = [];
  const subscription = new RedisSubscription(
    base,
    channel,
    (payload) => heard.push(payload),
    new Logger('spec'),
    () => resubscribed++,
    () => lost.push(resubscribed),
  );

  afterAll(async () => {
    subscription.close();
    base.disconnect();
    await publisher.quit();
  });

  /** Kills the subscriber's connection from the server side, as Redis does to a slow one. */
  async function killSubscriber(): Promise<void> {
    const clients = String(await publisher.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
    const line = clients.split('\n').find((l) => l.includes(` name=${name} `));
    if (!line) throw new Error('subscriber connection not found');
    const id = /(?:^|\s)id=(\d+)/.exec(line)?.[1];
    await publisher.client('KILL', 'ID', String(id));
  }

  it('says nothing on its first subscribe; after a lost connection, says it was lost, then that it is subscribed again, once each, and hears what comes after', async () => {
    await subscription.open();
    await publisher.publish(channel, 'before');
    await waitFor(() => heard.includes('before'), 'the first message');
    expect([resubscribed, lost]).toEqual([0, []]);

    await killSubscriber();
    await waitFor(() => resubscribed === 1, 'the resubscription');
    await publisher.publish(channel, 'after');
    await waitFor(() => heard.includes('after'), 'a message after the resubscription');
    expect(heard).toEqual(['before', 'after']);
    expect(resubscribed).toBe(1);
    expect(lost).toEqual([0]);

    // Closing it is not losing it.
    subscription.close();
    expect(lost).toEqual([0]);
  });
});

describe('RedisSubscription on a connection that stalls (real Redis behind a proxy)', () => {
  const redisUrl = new URL(REDIS_URL);
  const proxy = new BlockableProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
  const channel = `subscription-stall-spec:${randomUUID()}`;
  const publisher = new Redis(REDIS_URL);
  let base: Redis | undefined;
  let subscription: RedisSubscription | undefined;

  afterAll(async () => {
    subscription?.close();
    base?.disconnect();
    await publisher.quit();
    await proxy.close();
  });

  it('is found stalled by its liveness watch: said lost, subscribed again, and hears what comes after', async () => {
    await proxy.start();
    const connection = new Redis({
      host: '127.0.0.1',
      port: proxy.port,
      db: Number(redisUrl.pathname.slice(1) || 0),
      lazyConnect: true,
    });
    base = connection;
    // The subscriber connection is duplicated from a watched connection, as RedisModule's is.
    watchRedisLiveness(connection, 200, new Logger('spec'), 'spec');
    const heard: string[] = [];
    const events: string[] = [];
    subscription = new RedisSubscription(
      connection,
      channel,
      (payload) => heard.push(payload),
      new Logger('spec'),
      () => events.push('resubscribed'),
      () => events.push('lost'),
    );
    await subscription.open();
    await publisher.publish(channel, 'before');
    await waitFor(() => heard.includes('before'), 'the first message');

    // Every connection through the proxy stops answering; nothing is closed.
    proxy.stall();
    await publisher.publish(channel, 'into the stall');
    await waitFor(() => events.includes('resubscribed'), 'the resubscription');
    await publisher.publish(channel, 'after');
    await waitFor(() => heard.includes('after'), 'a message after the resubscription');

    expect(events).toEqual(['lost', 'resubscribed']);
    expect(heard).toEqual(['before', 'after']);
  });
});
