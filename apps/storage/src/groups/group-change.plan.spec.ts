import { randomUUID } from 'node:crypto';
import type { GroupChange } from '@parley/common';
import { ANNOUNCEMENTS_CHANNEL_ID, ErrorCode, type EventUser } from '@parley/protocol';
import { type GroupState, planGroupChange } from './group-change.plan';

const user = (username: string): EventUser => ({ id: randomUUID(), username });
const [alice, bob, carol, dave] = ['alice', 'bob', 'carol', 'dave'].map(user);

function group(
  admins: EventUser[],
  members: EventUser[],
  title = 'Club',
  history: GroupState['history'] = 'joined',
): GroupState {
  return {
    id: '0000000000001-00000000000000000000000000000001',
    kind: 'group',
    public: false,
    title,
    history,
    timer: null,
    members: [
      ...admins.map((u) => ({ userId: u.id, username: u.username, role: 'admin' as const })),
      ...members.map((u) => ({ userId: u.id, username: u.username, role: 'member' as const })),
    ],
  };
}

describe('planGroupChange', () => {
  it('creates a group with its creator as the first admin, the named users after it', () => {
    const plan = planGroupChange(
      null,
      alice,
      { op: 'create', name: 'Club', members: [bob, alice, bob, carol] },
      10,
    );
    expect(plan).toEqual({
      decision: {
        event: { type: 'created', name: 'Club', members: [bob, carol], history: 'joined' },
        kind: 'group',
        title: 'Club',
        history: 'joined',
        join: [
          { user: alice, role: 'admin', fromEvent: false },
          { user: bob, role: 'member', fromEvent: false },
          { user: carol, role: 'member', fromEvent: false },
        ],
        leave: [],
        roles: [],
      },
    });
  });

  it('refuses a group alone, one over the limit, and a create over an existing conversation', () => {
    expect(
      planGroupChange(null, alice, { op: 'create', name: 'X', members: [alice] }, 10),
    ).toMatchObject({
      refused: { code: 'validation_failed' },
    });
    expect(
      planGroupChange(null, alice, { op: 'create', name: 'X', members: [bob, carol] }, 2),
    ).toEqual({
      refused: { code: 'validation_failed', message: 'A group has at most 2 members' },
    });
    expect(
      planGroupChange(
        group([alice], [bob]),
        alice,
        { op: 'create', name: 'X', members: [bob] },
        10,
      ),
    ).toMatchObject({ refused: { code: 'validation_failed' } });
  });

  it('lets only admins rename, add, remove, promote and demote; a non-member nothing at all', () => {
    const state = group([alice], [bob, carol]);
    const changes: GroupChange[] = [
      { op: 'rename', name: 'Mine' },
      { op: 'history', history: 'all' },
      { op: 'add', members: [dave] },
      { op: 'remove', members: [carol] },
      { op: 'promote', members: [carol] },
      { op: 'demote', members: [alice] },
    ];
    for (const change of changes) {
      expect(planGroupChange(state, bob, change, 10)).toEqual({
        refused: { code: 'forbidden', message: 'Only admins can do that' },
      });
      expect(planGroupChange(state, dave, change, 10)).toEqual({
        refused: { code: 'forbidden', message: 'Not a member of this group' },
      });
    }
    expect(planGroupChange(null, alice, { op: 'leave' }, 10)).toMatchObject({
      refused: { code: 'forbidden' },
    });
    expect(
      planGroupChange({ ...state, kind: 'direct' }, alice, { op: 'rename', name: 'X' }, 10),
    ).toMatchObject({ refused: { code: 'forbidden' } });
  });

  it('refuses changes that change nothing', () => {
    const state = group([alice], [bob]);
    const refusals = [
      planGroupChange(state, alice, { op: 'rename', name: 'Club' }, 10),
      planGroupChange(state, alice, { op: 'add', members: [bob] }, 10),
      planGroupChange(state, alice, { op: 'remove', members: [dave] }, 10),
      planGroupChange(state, alice, { op: 'remove', members: [alice] }, 10),
      planGroupChange(state, alice, { op: 'promote', members: [alice] }, 10),
      planGroupChange(state, alice, { op: 'demote', members: [bob] }, 10),
      planGroupChange(state, alice, { op: 'history', history: 'joined' }, 10),
    ];
    for (const r of refusals) expect(r).toMatchObject({ refused: { code: 'validation_failed' } });
  });

  it('creates with the history setting asked for', () => {
    expect(
      planGroupChange(
        null,
        alice,
        { op: 'create', name: 'Club', members: [bob], history: 'all' },
        10,
      ),
    ).toMatchObject({
      decision: { event: { type: 'created', history: 'all' }, history: 'all' },
    });
    expect(
      planGroupChange(group([alice], [bob]), alice, { op: 'history', history: 'all' }, 10),
    ).toEqual({
      decision: {
        event: { type: 'history', history: 'all' },
        history: 'all',
        join: [],
        leave: [],
        roles: [],
      },
    });
  });

  it('adds only new members, within the limit, reading from their joining or everything', () => {
    const state = group([alice], [bob]);
    expect(planGroupChange(state, alice, { op: 'add', members: [bob, carol] }, 10)).toMatchObject({
      decision: {
        event: { type: 'added', members: [carol] },
        join: [{ user: carol, role: 'member', fromEvent: true }],
      },
    });
    expect(
      planGroupChange(
        group([alice], [bob], 'Club', 'all'),
        alice,
        { op: 'add', members: [carol] },
        10,
      ),
    ).toMatchObject({ decision: { join: [{ user: carol, fromEvent: false }] } });
    expect(planGroupChange(state, alice, { op: 'add', members: [carol, dave] }, 3)).toMatchObject({
      refused: { code: 'validation_failed' },
    });
  });

  it('removes members; promotes and demotes', () => {
    const state = group([alice], [bob, carol]);
    expect(planGroupChange(state, alice, { op: 'remove', members: [bob, dave] }, 10)).toMatchObject(
      {
        decision: { event: { type: 'removed', members: [bob] }, leave: [bob.id] },
      },
    );
    expect(planGroupChange(state, alice, { op: 'promote', members: [bob] }, 10)).toMatchObject({
      decision: {
        event: { type: 'promoted', members: [bob] },
        roles: [{ userId: bob.id, role: 'admin' }],
      },
    });
    expect(
      planGroupChange(group([alice, bob], [carol]), alice, { op: 'demote', members: [bob] }, 10),
    ).toEqual({
      decision: {
        event: { type: 'demoted', members: [bob] },
        join: [],
        leave: [],
        roles: [{ userId: bob.id, role: 'member' }],
      },
    });
  });

  it('never leaves a group without an admin: the longest-standing member left is promoted', () => {
    // Alice (the only admin) leaves: Bob, first in joining order after her, becomes admin.
    expect(planGroupChange(group([alice], [bob, carol]), alice, { op: 'leave' }, 10)).toEqual({
      decision: {
        event: { type: 'left', promoted: bob },
        join: [],
        leave: [alice.id],
        roles: [{ userId: bob.id, role: 'admin' }],
      },
    });
    // Another admin remains: nobody is promoted.
    expect(planGroupChange(group([alice, bob], [carol]), alice, { op: 'leave' }, 10)).toMatchObject(
      {
        decision: { event: { type: 'left' }, roles: [] },
      },
    );
    // The last member leaves: nobody to promote.
    expect(planGroupChange(group([alice], []), alice, { op: 'leave' }, 10)).toMatchObject({
      decision: { event: { type: 'left' }, roles: [] },
    });
    // The only admin demotes itself: the longest-standing other member is promoted.
    expect(
      planGroupChange(group([alice], [bob]), alice, { op: 'demote', members: [alice] }, 10),
    ).toMatchObject({
      decision: {
        event: { type: 'demoted', members: [alice], promoted: bob },
        roles: [
          { userId: alice.id, role: 'member' },
          { userId: bob.id, role: 'admin' },
        ],
      },
    });
    // ...unless it is alone.
    expect(
      planGroupChange(group([alice], []), alice, { op: 'demote', members: [alice] }, 10),
    ).toEqual({
      refused: { code: 'validation_failed', message: 'A group needs an admin' },
    });
  });
});

describe('planGroupChange in a channel', () => {
  const CHANNEL = '0000000000002-00000000000000000000000000000002';
  const channel = (
    admins: EventUser[],
    members: EventUser[],
    opts: { public?: boolean; id?: string } = {},
  ): GroupState => ({
    id: opts.id ?? CHANNEL,
    kind: 'channel',
    timer: null,
    public: opts.public ?? true,
    title: 'News',
    history: 'all',
    members: [
      ...admins.map((u) => ({ userId: u.id, username: u.username, role: 'admin' as const })),
      ...members.map((u) => ({ userId: u.id, username: u.username, role: 'member' as const })),
    ],
  });
  const change = (c: GroupChange) => c;

  it('creates a channel whose creator is its only member and admin, public unless said', () => {
    expect(planGroupChange(null, alice, { op: 'create-channel', name: 'News' }, 10)).toEqual({
      decision: {
        event: { type: 'channel-created', name: 'News', public: true },
        kind: 'channel',
        title: 'News',
        history: 'all',
        public: true,
        join: [{ user: alice, role: 'admin', fromEvent: false }],
        leave: [],
        roles: [],
      },
    });
    expect(
      planGroupChange(null, alice, { op: 'create-channel', name: 'News', public: false }, 10),
    ).toMatchObject({ decision: { public: false, event: { public: false } } });
  });

  it('lets anyone join a public channel silently (no event), at any size, and a member again as a retry', () => {
    const plan = planGroupChange(channel([alice], []), bob, change({ op: 'join' }), 2);
    expect(plan).toEqual({
      decision: { join: [{ user: bob, role: 'member', fromEvent: false }], leave: [], roles: [] },
    });
    expect(planGroupChange(channel([alice], [bob]), bob, { op: 'join' }, 2)).toEqual({
      decision: { join: [], leave: [], roles: [] },
    });
  });

  it('refuses joining a private channel or a group, with the same answer as for nothing', () => {
    const nothing = planGroupChange(null, bob, { op: 'join' }, 10);
    expect(nothing).toMatchObject({ refused: { code: 'forbidden' } });
    expect(
      planGroupChange(channel([alice], [], { public: false }), bob, { op: 'join' }, 10),
    ).toEqual(nothing);
    expect(
      planGroupChange(
        {
          id: CHANNEL,
          kind: 'group',
          public: false,
          title: 'G',
          history: 'all',
          timer: null,
          members: [],
        },
        bob,
        { op: 'join' },
        10,
      ),
    ).toEqual(nothing);
  });

  it('leaves and removes silently, but never the last admin', () => {
    expect(planGroupChange(channel([alice], [bob]), bob, { op: 'leave' }, 10)).toEqual({
      decision: { join: [], leave: [bob.id], roles: [] },
    });
    expect(planGroupChange(channel([alice], [bob]), alice, { op: 'leave' }, 10)).toMatchObject({
      refused: { code: 'validation_failed' },
    });
    expect(
      planGroupChange(channel([alice], [bob, carol]), alice, { op: 'remove', members: [bob] }, 10),
    ).toEqual({ decision: { join: [], leave: [bob.id], roles: [] } });
    expect(
      planGroupChange(
        channel([alice, bob], []),
        alice,
        { op: 'demote', members: [alice, bob] },
        10,
      ),
    ).toMatchObject({
      refused: { code: 'validation_failed', message: 'A channel needs an admin' },
    });
  });

  it('lets only admins add, remove, rename and promote; promotions and renames are events', () => {
    const state = channel([alice], [bob]);
    expect(planGroupChange(state, bob, { op: 'add', members: [carol] }, 10)).toMatchObject({
      refused: { code: 'forbidden' },
    });
    expect(planGroupChange(state, alice, { op: 'add', members: [carol, dave] }, 1)).toEqual({
      decision: {
        join: [
          { user: carol, role: 'member', fromEvent: false },
          { user: dave, role: 'member', fromEvent: false },
        ],
        leave: [],
        roles: [],
      },
    });
    expect(planGroupChange(state, alice, { op: 'promote', members: [bob] }, 10)).toMatchObject({
      decision: { event: { type: 'promoted' }, roles: [{ userId: bob.id, role: 'admin' }] },
    });
    expect(planGroupChange(state, alice, { op: 'rename', name: 'Daily' }, 10)).toMatchObject({
      decision: { event: { type: 'renamed', name: 'Daily' }, title: 'Daily' },
    });
    expect(planGroupChange(state, alice, { op: 'history', history: 'joined' }, 10)).toMatchObject({
      refused: { code: 'validation_failed' },
    });
  });

  it("keeps the announcements channel's membership and admins the server's", () => {
    const state = channel([alice], [bob], { id: ANNOUNCEMENTS_CHANNEL_ID, public: false });
    for (const c of [change({ op: 'leave' }), change({ op: 'join' })]) {
      expect(planGroupChange(state, bob, c, 10)).toMatchObject({
        refused: { code: 'validation_failed' },
      });
    }
    for (const c of [
      change({ op: 'add', members: [carol] }),
      change({ op: 'remove', members: [bob] }),
      change({ op: 'promote', members: [bob] }),
      change({ op: 'demote', members: [alice] }),
    ]) {
      expect(planGroupChange(state, alice, c, 10)).toMatchObject({
        refused: { code: 'validation_failed' },
      });
    }
    expect(planGroupChange(state, alice, { op: 'rename', name: 'Server news' }, 10)).toMatchObject({
      decision: { event: { type: 'renamed' } },
    });
  });
});

describe('planGroupChange: disappearing messages', () => {
  const direct = (timer: number | null = null): GroupState => ({
    id: '0000000000002-00000000000000000000000000000002',
    kind: 'direct',
    public: false,
    title: null,
    history: 'all',
    timer,
    members: [
      { userId: alice.id, username: null, role: 'member' },
      { userId: bob.id, username: null, role: 'member' },
    ],
  });
  const timers = [2, 300, 3600];

  it('lets either member of a 1:1 set or clear a timer: an event at the next seq', () => {
    expect(planGroupChange(direct(), bob, { op: 'timer', seconds: 300 }, 10, timers)).toEqual({
      decision: {
        event: { type: 'timer', seconds: 300 },
        timer: 300,
        join: [],
        leave: [],
        roles: [],
      },
    });
    expect(planGroupChange(direct(300), alice, { op: 'timer', seconds: null }, 10, timers)).toEqual(
      expect.objectContaining({ decision: expect.objectContaining({ timer: null }) }),
    );
  });

  it('refuses a timer not offered, one already set, and anyone not a member', () => {
    const refusal = (plan: ReturnType<typeof planGroupChange>) =>
      'refused' in plan ? plan.refused : undefined;
    expect(
      refusal(planGroupChange(direct(), bob, { op: 'timer', seconds: 7 }, 10, timers)),
    ).toEqual({
      code: ErrorCode.ValidationFailed,
      message: 'Messages can disappear after 2 seconds, 5 minutes, 1 hour',
    });
    expect(
      refusal(planGroupChange(direct(300), bob, { op: 'timer', seconds: 300 }, 10, timers)),
    ).toMatchObject({ code: ErrorCode.ValidationFailed });
    expect(
      refusal(planGroupChange(direct(), carol, { op: 'timer', seconds: 300 }, 10, timers)),
    ).toMatchObject({ code: ErrorCode.Forbidden });
    expect(
      refusal(planGroupChange(null, carol, { op: 'timer', seconds: 300 }, 10, timers)),
    ).toMatchObject({ code: ErrorCode.Forbidden });
  });

  it('in a group, only admins', () => {
    const club = group([alice], [bob]);
    expect(planGroupChange(club, bob, { op: 'timer', seconds: 300 }, 10, timers)).toEqual({
      refused: { code: ErrorCode.Forbidden, message: 'Only admins can do that' },
    });
    expect(planGroupChange(club, alice, { op: 'timer', seconds: 300 }, 10, timers)).toMatchObject({
      decision: { event: { type: 'timer', seconds: 300 }, timer: 300 },
    });
  });
});
