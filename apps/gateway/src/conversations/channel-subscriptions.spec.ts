import { ConnectionLifecycle } from '../connections/connection-lifecycle';
import type { ConversationsReadModel } from '../read-model/conversations.read-model';
import { ChannelSubscriptions } from './channel-subscriptions';

/** A promise settled from outside: the read model's answer arrives when the test says. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The channels each user is in, as PostgreSQL would answer when each read is let through. */
class FakeChannelsReadModel {
  readonly single: ReturnType<typeof deferred<string[]>>[] = [];
  readonly many: ReturnType<typeof deferred<Map<string, string[]>>>[] = [];
  channelsOf(): Promise<string[]> {
    const d = deferred<string[]>();
    this.single.push(d);
    return d.promise;
  }
  channelsOfUsers(): Promise<Map<string, string[]>> {
    const d = deferred<Map<string, string[]>>();
    this.many.push(d);
    return d.promise;
  }
}

describe('ChannelSubscriptions', () => {
  let reads: FakeChannelsReadModel;
  let lifecycle: ConnectionLifecycle;
  let subscriptions: ChannelSubscriptions;
  const subscribed = (channel: string) => [...subscriptions.subscribers(channel)].sort();

  beforeEach(() => {
    reads = new FakeChannelsReadModel();
    lifecycle = new ConnectionLifecycle();
    subscriptions = new ChannelSubscriptions(reads as unknown as ConversationsReadModel, lifecycle);
  });

  it('subscribes an admitted socket to its channels once they are read', async () => {
    lifecycle.opened('c1', 'alice');
    expect(subscribed('news')).toEqual([]);
    reads.single[0].resolve(['news']);
    await subscriptions.ready('c1');
    expect(subscribed('news')).toEqual(['c1']);
    lifecycle.closed('c1');
    expect(subscribed('news')).toEqual([]);
  });

  it('lets a word from storage during the first read win over that read', async () => {
    lifecycle.opened('c1', 'alice');
    // Read before she left "news" and before she joined "sport"; storage's words came after.
    subscriptions.changed('news', [], ['alice']);
    subscriptions.changed('sport', ['alice'], []);
    reads.single[0].resolve(['news']);
    await subscriptions.ready('c1');
    expect(subscribed('news')).toEqual([]);
    expect(subscribed('sport')).toEqual(['c1']);
  });

  it('reloads every socket after a gap: drops what was left, adds what was joined, names who gained', async () => {
    lifecycle.opened('c1', 'alice');
    lifecycle.opened('c2', 'alice');
    lifecycle.opened('c3', 'bob');
    reads.single.forEach((d, i) => d.resolve(i < 2 ? ['news', 'staff'] : ['news']));
    await Promise.all(['c1', 'c2', 'c3'].map((c) => subscriptions.ready(c)));
    expect(subscribed('staff')).toEqual(['c1', 'c2']);

    // While the control channel was down: Alice was removed from "staff", Bob added to it.
    const reload = subscriptions.reloadAll();
    expect(reads.many).toHaveLength(1);
    reads.many[0].resolve(
      new Map([
        ['alice', ['news']],
        ['bob', ['news', 'staff']],
      ]),
    );
    expect(await reload).toEqual(['c3']);
    expect(subscribed('staff')).toEqual(['c3']);
    expect(subscribed('news')).toEqual(['c1', 'c2', 'c3']);
  });

  it('lets a word heard during a reload win over the reload’s answer', async () => {
    lifecycle.opened('c1', 'alice');
    reads.single[0].resolve(['news']);
    await subscriptions.ready('c1');

    const reload = subscriptions.reloadAll();
    // The reload read her in "news" and not in "sport"; then storage said she left one, joined the other.
    subscriptions.changed('news', [], ['alice']);
    subscriptions.changed('sport', ['alice'], []);
    reads.many[0].resolve(new Map([['alice', ['news']]]));
    expect(await reload).toEqual([]);
    expect(subscribed('news')).toEqual([]);
    expect(subscribed('sport')).toEqual(['c1']);
  });

  it('keeps what a socket follows when the reload cannot read, and applies words after it', async () => {
    lifecycle.opened('c1', 'alice');
    reads.single[0].resolve(['news']);
    await subscriptions.ready('c1');
    const reload = subscriptions.reloadAll();
    reads.many[0].reject(new Error('database down'));
    expect(await reload).toEqual([]);
    expect(subscribed('news')).toEqual(['c1']);
    subscriptions.changed('news', [], ['alice']);
    expect(subscribed('news')).toEqual([]);
  });

  it('drops the answer of a read a newer one overtook, and of a socket that closed', async () => {
    lifecycle.opened('c1', 'alice');
    const reload = subscriptions.reloadAll(); // overtakes the admission's read
    reads.many[0].resolve(new Map([['alice', ['sport']]]));
    await reload;
    reads.single[0].resolve(['news']);
    await subscriptions.ready('c1');
    expect(subscribed('news')).toEqual([]);
    expect(subscribed('sport')).toEqual(['c1']);

    lifecycle.opened('c2', 'bob');
    lifecycle.closed('c2');
    reads.single[1].resolve(['news']);
    await Promise.resolve();
    expect(subscribed('news')).toEqual([]);
  });
});
