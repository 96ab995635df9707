import { Topic } from '@parley/common';
import type { EventPublisher } from '@parley/kafka';
import type { GatewayConfig } from '../config/gateway.config';
import { ACTIVITY_FLUSH_MS, ActivityPublisher } from './activity.publisher';

const WINDOW_MS = 5_000;

/** The users of each `users.active` record published, in order. */
function recorder() {
  const records: string[][] = [];
  const publisher = {
    publish: jest.fn((topic: string, _key: string, _contract: unknown, payload: unknown) => {
      if (topic === Topic.Activity) {
        records.push((payload as { users: { userId: string }[] }).users.map((u) => u.userId));
      }
      return Promise.resolve();
    }),
  };
  const config = {
    GATEWAY_ID: 'gw-1',
    PRESENCE_ACTIVITY_COALESCE_MS: WINDOW_MS,
  } as Pick<GatewayConfig, 'GATEWAY_ID' | 'PRESENCE_ACTIVITY_COALESCE_MS'>;
  const activity = new ActivityPublisher(publisher as unknown as EventPublisher, config);
  return { activity, records };
}

describe('ActivityPublisher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('keeps no timer while nobody acts, and stops it once every window has closed', () => {
    const { activity, records } = recorder();
    expect(jest.getTimerCount()).toBe(0);

    activity.note('alice');
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(ACTIVITY_FLUSH_MS);
    expect(records).toEqual([['alice']]);

    // A second action inside the window is folded and goes when the window ends.
    jest.advanceTimersByTime(1_000);
    activity.note('alice');
    jest.advanceTimersByTime(WINDOW_MS);
    expect(records).toEqual([['alice'], ['alice']]);

    // That flush opened a new window; once it ends with nothing in it, the timer stops.
    jest.advanceTimersByTime(WINDOW_MS + ACTIVITY_FLUSH_MS);
    expect(records).toEqual([['alice'], ['alice']]);
    expect(jest.getTimerCount()).toBe(0);

    // The next action starts it again and is published.
    activity.note('bob');
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(ACTIVITY_FLUSH_MS);
    expect(records).toEqual([['alice'], ['alice'], ['bob']]);
  });

  it('publishes what is folded at shutdown and starts no timer after it', () => {
    const { activity, records } = recorder();
    activity.note('alice');
    jest.advanceTimersByTime(ACTIVITY_FLUSH_MS);
    activity.note('alice');
    activity.beforeApplicationShutdown();
    expect(records).toEqual([['alice'], ['alice']]);
    expect(jest.getTimerCount()).toBe(0);
    activity.note('bob');
    expect(jest.getTimerCount()).toBe(0);
  });
});
