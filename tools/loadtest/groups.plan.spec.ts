import {
  chunks,
  groupTitle,
  isOnlineUser,
  memberUser,
  onlineUsers,
  planGroups,
  positionOf,
  senderShares,
  tallyDeliveries,
} from './groups.plan';

describe('planGroups', () => {
  it('defaults to every member online, every one sending in a group', () => {
    expect(planGroups({ kind: 'group', groups: 10, members: 50 })).toEqual({
      kind: 'group',
      groups: 10,
      members: 50,
      online: 50,
      senders: 50,
      admins: 1,
    });
  });

  it('has the admins send in a channel, and caps online at the members', () => {
    const layout = planGroups({
      kind: 'channel',
      groups: 1,
      members: 10_000,
      online: 500,
      admins: 2,
    });
    expect(layout).toMatchObject({ online: 500, senders: 2, admins: 2 });
    expect(planGroups({ kind: 'group', groups: 1, members: 5, online: 50 }).online).toBe(5);
  });

  it('refuses layouts the server or the measure cannot take', () => {
    expect(() => planGroups({ kind: 'group', groups: 1, members: 1025 })).toThrow(/at most 1024/);
    expect(() => planGroups({ kind: 'group', groups: 0, members: 5 })).toThrow();
    expect(() => planGroups({ kind: 'group', groups: 1, members: 1 })).toThrow();
    expect(() => planGroups({ kind: 'group', groups: 1, members: 5, online: 1 })).toThrow();
    expect(() =>
      planGroups({ kind: 'channel', groups: 1, members: 5, online: 3, admins: 3 }),
    ).toThrow(/admins/);
    expect(planGroups({ kind: 'channel', groups: 1, members: 100_000 }).members).toBe(100_000);
  });
});

describe('the layout', () => {
  const layout = planGroups({ kind: 'group', groups: 3, members: 10, online: 4 });

  it('gives each group its own block of users, the first `online` of them connected', () => {
    expect(memberUser(layout, 2, 3)).toBe(23);
    expect(onlineUsers(layout)).toEqual([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
    expect(onlineUsers(layout).every((u) => isOnlineUser(layout, u))).toBe(true);
    expect(isOnlineUser(layout, 14)).toBe(false);
  });

  it('maps an online position back to its group and member', () => {
    expect(positionOf(layout, 0)).toEqual({ group: 0, member: 0, sender: true });
    expect(positionOf(layout, 6)).toEqual({ group: 1, member: 2, sender: true });
    const channel = planGroups({ kind: 'channel', groups: 2, members: 10, online: 4 });
    expect(positionOf(channel, 4)).toEqual({ group: 1, member: 0, sender: true });
    expect(positionOf(channel, 5).sender).toBe(false);
  });

  it('names groups so a later run finds them', () => {
    expect(groupTitle('a', layout, 2)).toBe('lt a group 10 #2');
    expect(
      groupTitle(
        'zzzzzzzzzzzzzzzz',
        planGroups({ kind: 'channel', groups: 1, members: 100_000 }),
        99_999,
      ).length,
    ).toBeLessThanOrEqual(64);
  });
});

describe('senderShares', () => {
  it('splits a group run by the senders each worker holds', () => {
    const layout = planGroups({ kind: 'group', groups: 10, members: 50 });
    expect(senderShares(layout, 2)).toEqual([0.5, 0.5]);
    const shares = senderShares(planGroups({ kind: 'group', groups: 1, members: 5 }), 2);
    expect(shares).toEqual([3 / 5, 2 / 5]);
  });

  it('gives a one-admin channel to the worker that holds the admin', () => {
    const layout = planGroups({ kind: 'channel', groups: 1, members: 10_000, online: 500 });
    expect(senderShares(layout, 2)).toEqual([1, 0]);
    // two channels of 3 online: admins at positions 0 and 3 go to workers 0 and 1
    const two = planGroups({ kind: 'channel', groups: 2, members: 10, online: 3 });
    expect(senderShares(two, 2)).toEqual([0.5, 0.5]);
    expect(senderShares(two, 3)).toEqual([1, 0, 0]);
  });
});

describe('tallyDeliveries', () => {
  it('expects every online member but the sender, and counts what is missing', () => {
    const acked = [
      { id: 0, group: 0 },
      { id: 1, group: 1 },
      { id: 2, group: 0 },
    ];
    const received = new Map([
      [0, 4],
      [1, 1],
      [2, 2],
      [7, 3], // a message whose ack did not come: received, not expected
    ]);
    expect(tallyDeliveries(acked, [5, 2], received)).toEqual({
      expected: 4 + 1 + 4,
      received: 10,
      lost: 2,
      lostMessages: 1,
    });
  });

  it('expects nothing of a group with one socket open', () => {
    expect(tallyDeliveries([{ id: 0, group: 0 }], [1], new Map())).toEqual({
      expected: 0,
      received: 0,
      lost: 0,
      lostMessages: 0,
    });
  });
});

describe('chunks', () => {
  it('splits members into frames', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 2)).toEqual([]);
  });
});
