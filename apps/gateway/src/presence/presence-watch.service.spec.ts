import type { PresenceChange } from '@parley/common';
import type { ServerFrame } from '@parley/protocol';
import { ConnectionLifecycle } from '../connections/connection-lifecycle';
import { ConnectionRegistry } from '../connections/connection-registry.service';
import type { ClientConnection } from '../realtime/client-connection';
import type { ThrottleCountersRepository } from '../throttling/throttle-counters.repository';
import type { PresenceChannels } from './presence-channels';
import type { PresenceRulesRepository } from './presence-rules.repository';
import type { PresenceState, PresenceStateReader } from './presence-state.reader';
import { PresenceWatchService } from './presence-watch.service';

/** The channels as the service uses them: it hears changes and being heard again from here. */
class FakeChannels {
  change: (change: PresenceChange) => void = () => undefined;
  heardAgain: () => void = () => undefined;
  listen(onChange: (change: PresenceChange) => void): void {
    this.change = onChange;
  }
  onHeardAgain(callback: () => void): void {
    this.heardAgain = callback;
  }
  follow(): Promise<void> {
    return Promise.resolve();
  }
}

/** States answered when the test lets the read through. */
class FakeStates {
  answer: (states: Map<string, PresenceState>) => void = () => undefined;
  asked: string[][] = [];
  read(userIds: readonly string[]): Promise<Map<string, PresenceState>> {
    this.asked.push([...userIds]);
    return new Promise((resolve) => (this.answer = resolve));
  }
}

function socket(id: string, userId: string) {
  const frames: ServerFrame[] = [];
  const connection = {
    id,
    userId,
    send: (frame: ServerFrame) => frames.push(frame),
    sendText: (text: string) => frames.push(JSON.parse(text) as ServerFrame),
  } as unknown as ClientConnection;
  return { connection, frames };
}

describe('PresenceWatchService.refreshAll (the channels heard again)', () => {
  const seen = '2026-11-27T10:00:00.000Z';
  let channels: FakeChannels;
  let states: FakeStates;
  let service: PresenceWatchService;
  let registry: ConnectionRegistry<ClientConnection>;

  beforeEach(() => {
    channels = new FakeChannels();
    states = new FakeStates();
    registry = new ConnectionRegistry<ClientConnection>();
    service = new PresenceWatchService(
      {
        visibleTo: (_: string, ids: string[]) => Promise.resolve(new Set(ids)),
      } as unknown as PresenceRulesRepository,
      states as unknown as PresenceStateReader,
      channels as unknown as PresenceChannels,
      registry,
      new ConnectionLifecycle(),
      {} as ThrottleCountersRepository,
      { PRESENCE_READS_PER_MINUTE: 60 },
    );
    service.onModuleInit();
  });

  async function watching(id: string, userId: string, watched: string[]) {
    const s = socket(id, userId);
    registry.add(id, s.connection);
    const snapshot = service.watch(s.connection, watched);
    await Promise.resolve();
    await Promise.resolve();
    states.answer(new Map());
    await snapshot;
    s.frames.length = 0;
    return s;
  }

  it('sends each socket the state of the users it sees, in one frame, read once for all', async () => {
    const alice = await watching('a', 'alice', ['bob', 'carol']);
    const dave = await watching('d', 'dave', ['bob']);
    channels.heardAgain();
    expect(states.asked.at(-1)?.sort()).toEqual(['bob', 'carol']);
    states.answer(
      new Map([
        ['bob', { online: true, lastSeenAt: seen }],
        ['carol', { online: false, lastSeenAt: null }],
      ]),
    );
    await new Promise((r) => setImmediate(r));
    expect(alice.frames).toEqual([
      {
        type: 'presence',
        users: [
          { userId: 'bob', online: true, lastSeenAt: seen },
          { userId: 'carol', online: false, lastSeenAt: null },
        ],
      },
    ]);
    expect(dave.frames).toEqual([
      { type: 'presence', users: [{ userId: 'bob', online: true, lastSeenAt: seen }] },
    ]);
  });

  it('leaves out a user whose change was heard while the read was in flight (that change is newer)', async () => {
    const alice = await watching('a', 'alice', ['bob', 'carol']);
    const refreshed = service.refreshAll();
    channels.change({ userId: 'bob', online: false, seen: Date.parse(seen) } as PresenceChange);
    states.answer(
      new Map([
        ['bob', { online: true, lastSeenAt: null }],
        ['carol', { online: true, lastSeenAt: null }],
      ]),
    );
    await refreshed;
    expect(alice.frames).toEqual([
      { type: 'presence', users: [{ userId: 'bob', online: false, lastSeenAt: seen }] },
      { type: 'presence', users: [{ userId: 'carol', online: true, lastSeenAt: null }] },
    ]);
  });
});
