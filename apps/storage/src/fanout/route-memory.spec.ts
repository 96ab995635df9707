import type { DeviceConnection } from '@parley/common';
import { RouteMemory } from './route-memory';

const socket = (userId: string, gatewayId: string): DeviceConnection => ({
  userId,
  connectionId: `${userId}-${gatewayId}`,
  deviceId: 'phone',
  gatewayId,
  since: '2026-01-01T00:00:00.000Z',
});

describe('RouteMemory', () => {
  it('recalls settled users’ routes with what they assume, and nothing if one is unknown', () => {
    const memory = new RouteMemory();
    const routable = new Map([
      ['alice', [socket('alice', 'g-1'), socket('alice', 'g-2')]],
      ['bob', [socket('bob', 'g-1')]],
      ['carol', []],
    ]);
    memory.learn({
      routable,
      settled: new Map([
        ['alice', ['a1', '{}', 'a2', '{}']],
        ['bob', ['b1', '{}']],
        ['carol', []],
      ]),
    });
    const recalled = memory.recall(['alice', 'carol']);
    expect(recalled?.routable).toEqual(new Map([...routable].filter(([u]) => u !== 'bob')));
    expect(recalled?.check).toEqual({
      users: [
        { userId: 'alice', held: ['a1', '{}', 'a2', '{}'] },
        { userId: 'carol', held: [] },
      ],
      gateways: ['g-1', 'g-2'],
    });
    expect(memory.recall(['alice', 'dave'])).toBeNull();
  });

  it('forgets a user a later look-up read but could not settle (a stale socket, a cold directory)', () => {
    const memory = new RouteMemory();
    const routable = new Map([['alice', [socket('alice', 'g-1')]]]);
    memory.learn({ routable, settled: new Map([['alice', ['a1', '{}']]]) });
    expect(memory.recall(['alice'])).not.toBeNull();
    memory.learn({ routable, settled: new Map() });
    expect(memory.recall(['alice'])).toBeNull();
  });
});
