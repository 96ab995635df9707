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

/** The service over these fakes, started (it listens to the channels). */
function startedService(
  rules: object,
  states: object,
  channels: FakeChannels,
  registry: ConnectionRegistry<ClientConnection>,
): PresenceWatchService {
  const service = new PresenceWatchService(
    rules as PresenceRulesRepository,
    states as PresenceStateReader,
    channels as unknown as PresenceChannels,
    registry,
    new ConnectionLifecycle(),
    {} as ThrottleCountersRepository,
    { PRESENCE_READS_PER_MINUTE: 60 },
  );
  service.onModuleInit();
  return service;
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
    service = startedService(
      { visibleTo: (_: string, ids: string[]) => Promise.resolve(new Set(ids)) },
      states,
      channels,
      registry,
    );
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

describe('PresenceWatchService rechecks (rules changed, or word of it missed)', () => {
  /** Rules as a set of hidden targets; each read is recorded; the test may hold the next one. */
  class FakeRules {
    hidden = new Set<string>();
    reads: Map<string, Set<string>>[] = [];
    hold?: Promise<void>;
    async visibleTo(viewerId: string, ids: readonly string[]): Promise<Set<string>> {
      return (await this.visibleAmong(new Map([[viewerId, new Set(ids)]]))).get(viewerId)!;
    }
    async visibleAmong(asked: Map<string, Set<string>>): Promise<Map<string, Set<string>>> {
      this.reads.push(new Map([...asked].map(([v, t]) => [v, new Set(t)])));
      const hold = this.hold;
      this.hold = undefined;
      await hold;
      return new Map(
        [...asked].map(([viewer, targets]) => [
          viewer,
          new Set([...targets].filter((t) => !this.hidden.has(t))),
        ]),
      );
    }
  }

  let rules: FakeRules;
  let registry: ConnectionRegistry<ClientConnection>;
  let service: PresenceWatchService;
  let channels: FakeChannels;
  let statesRead: string[][];

  beforeEach(() => {
    rules = new FakeRules();
    registry = new ConnectionRegistry<ClientConnection>();
    channels = new FakeChannels();
    statesRead = [];
    service = startedService(
      rules,
      {
        read: (ids: readonly string[]) => {
          statesRead.push([...ids]);
          return Promise.resolve(
            new Map(ids.map((id) => [id, { online: true, lastSeenAt: null }])),
          );
        },
      },
      channels,
      registry,
    );
  });

  async function watching(id: string, userId: string, watched: string[]) {
    const s = socket(id, userId);
    registry.add(id, s.connection);
    await service.watch(s.connection, watched);
    s.frames.length = 0;
    return s;
  }

  it('reads the rules of 500 sockets in one query, and pushes each socket only what flipped', async () => {
    const sockets = [];
    for (let i = 0; i < 1200; i++) {
      sockets.push(await watching(`c${i}`, `viewer${i % 250}`, ['alice', 'bob', `x${i}`]));
    }
    rules.reads.length = 0;
    rules.hidden.add('alice');
    await service.recheckAll();

    // 1,200 sockets: three reads; each viewer asked once per read, its sockets' targets merged.
    expect(rules.reads.map((r) => [...r.values()].reduce((n, t) => n + t.size, 0))).toEqual([
      1000, 1000, 600,
    ]);
    expect([...rules.reads[0].get('viewer0')!].sort()).toEqual(['alice', 'bob', 'x0', 'x250']);
    for (const s of sockets) {
      expect(s.frames).toEqual([
        { type: 'presence', users: [{ userId: 'alice', online: null, lastSeenAt: null }] },
      ]);
    }

    // Nothing flipped since: nothing pushed.
    for (const s of sockets) s.frames.length = 0;
    await service.recheckAll();
    expect(sockets.every((s) => s.frames.length === 0)).toBe(true);

    // Shown again: with its state.
    rules.hidden.clear();
    await service.rulesChanged(['alice']);
    expect(sockets[7].frames).toEqual([
      { type: 'presence', users: [{ userId: 'alice', online: true, lastSeenAt: null }] },
    ]);
  });

  it('leaves alone a socket whose watch list was replaced while its rules were read', async () => {
    const moved = await watching('c1', 'viewer', ['alice']);
    const stays = await watching('c2', 'viewer2', ['alice']);
    rules.hidden.add('alice');
    let release = () => undefined as void;
    rules.hold = new Promise<void>((resolve) => (release = resolve));
    const rechecked = service.recheckAll();
    // While the recheck's read is held, c1's new watch (bob only) reads its rules and is applied.
    await service.watch(moved.connection, ['bob']);
    release();
    await rechecked;
    expect(moved.frames).toEqual([
      {
        type: 'presence',
        snapshot: true,
        users: [{ userId: 'bob', online: true, lastSeenAt: null }],
      },
    ]);
    expect(stays.frames).toEqual([
      { type: 'presence', users: [{ userId: 'alice', online: null, lastSeenAt: null }] },
    ]);
  });

  it('holds pushes while word of rules may be missing; once checked again, pushes held users as they are now, to those who still see them', async () => {
    const bob = await watching('b', 'bob', ['alice', 'carol']);
    const dave = await watching('d', 'dave', ['carol']);
    service.holdPushes();
    // Alice hid hers meanwhile (the word was lost); her change and Carol's come in the hold.
    rules.hidden.add('alice');
    channels.change({ userId: 'alice', online: true, seen: null } as PresenceChange);
    channels.change({ userId: 'carol', online: false, seen: null } as PresenceChange);
    // The presence channels heard again in the hold: their read waits for its end too.
    channels.heardAgain();
    await new Promise((r) => setImmediate(r));
    expect([bob.frames, dave.frames]).toEqual([[], []]);

    statesRead.length = 0;
    await service.recheckAllAndRelease();
    expect(statesRead.at(-1)).toEqual(['alice', 'carol']);
    expect(bob.frames).toEqual([
      { type: 'presence', users: [{ userId: 'alice', online: null, lastSeenAt: null }] },
      { type: 'presence', users: [{ userId: 'carol', online: true, lastSeenAt: null }] },
    ]);
    expect(dave.frames).toEqual([
      { type: 'presence', users: [{ userId: 'carol', online: true, lastSeenAt: null }] },
    ]);

    // No hold: a change is pushed at once, and a second release does nothing.
    channels.change({ userId: 'carol', online: false, seen: null } as PresenceChange);
    expect(dave.frames).toHaveLength(2);
    await service.recheckAllAndRelease();
    expect(dave.frames).toHaveLength(2);
  });

  it('ends a hold nobody ends after 30 s: the watches checked against the rules, the held users pushed', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const bob = await watching('b', 'bob', ['alice', 'carol']);
      service.holdPushes();
      rules.hidden.add('alice');
      channels.change({ userId: 'alice', online: true, seen: null } as PresenceChange);
      channels.change({ userId: 'carol', online: true, seen: null } as PresenceChange);
      jest.advanceTimersByTime(29_999);
      await new Promise((r) => setImmediate(r));
      expect(bob.frames).toEqual([]);
      jest.advanceTimersByTime(1);
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      expect(bob.frames).toEqual([
        { type: 'presence', users: [{ userId: 'alice', online: null, lastSeenAt: null }] },
        { type: 'presence', users: [{ userId: 'carol', online: true, lastSeenAt: null }] },
      ]);
    } finally {
      jest.useRealTimers();
    }
  });
});
