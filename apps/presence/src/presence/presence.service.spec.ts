import {
  ConnectionClosedV1,
  ConnectionOpenedV1,
  ConnectionStateChangedV1,
  createEnvelope,
  type PresenceDevice,
} from '@parley/common';
import { randomUUID } from 'node:crypto';
import { decideOnline, planDeviceChanges } from './device-presence.plan';
import type { ConnectionEventEnvelope } from './presence-events';
import { latestPerUser } from './presence.service';

const alice = randomUUID();
const bob = randomUUID();
const conns = [randomUUID(), randomUUID()];
const conn = (n: number) => conns[n - 1];
const base = { deviceId: 'phone', gatewayId: 'gateway-1' };

function opened(userId: string, connectionId: string, at: string): ConnectionEventEnvelope {
  return createEnvelope(ConnectionOpenedV1, { ...base, userId, connectionId, at }, 't');
}
function state(
  userId: string,
  connectionId: string,
  s: 'foreground' | 'background',
  at: string,
): ConnectionEventEnvelope {
  return createEnvelope(
    ConnectionStateChangedV1,
    { ...base, userId, connectionId, at, state: s },
    't',
  );
}
function closed(userId: string, connectionId: string, at: string): ConnectionEventEnvelope {
  return createEnvelope(
    ConnectionClosedV1,
    { ...base, userId, connectionId, at, reason: 'client' as const },
    't',
  );
}

describe('planDeviceChanges', () => {
  const t = '2031-01-01T00:00:00.000Z';

  it('writes an opened socket in the background, only if not known yet', () => {
    const plan = planDeviceChanges([opened(alice, conn(1), t)]);
    expect(plan.writes).toEqual([
      {
        userId: alice,
        connectionId: conn(1),
        device: { gatewayId: 'gateway-1', foreground: false, since: Date.parse(t) },
        ifAbsent: true,
      },
    ]);
    expect(plan.removals).toEqual([]);
    expect(plan.users).toEqual([alice]);
  });

  it('keeps the last event of each socket: opened then foreground is one foreground write', () => {
    const plan = planDeviceChanges([
      opened(alice, conn(1), t),
      state(alice, conn(1), 'foreground', t),
      opened(bob, conn(2), t),
      closed(bob, conn(2), t),
    ]);
    expect(plan.writes).toEqual([
      expect.objectContaining({
        connectionId: conn(1),
        ifAbsent: false,
        device: expect.objectContaining({ foreground: true }),
      }),
    ]);
    expect(plan.removals).toEqual([{ userId: bob, connectionId: conn(2), gatewayId: 'gateway-1' }]);
    expect(plan.users.sort()).toEqual([alice, bob].sort());
  });
});

describe('decideOnline', () => {
  const device = (foreground: boolean, since: number, gatewayId = 'g1'): PresenceDevice => ({
    gatewayId,
    foreground,
    since,
  });
  const live = (startedAt: number) => ({ startedAt });

  it('is online while a socket is in the foreground on a live gateway', () => {
    const devices = new Map([
      ['a', device(false, 100)],
      ['b', device(true, 100)],
    ]);
    expect(decideOnline(devices, new Map([['g1', live(50)]]), false)).toEqual({
      online: true,
      stale: [],
    });
  });

  it('is offline with only background sockets', () => {
    const devices = new Map([['a', device(false, 100)]]);
    expect(decideOnline(devices, new Map([['g1', live(50)]]), false).online).toBe(false);
  });

  it('drops sockets of a gateway that left the directory or restarted after them', () => {
    const devices = new Map([
      ['dead', device(true, 100, 'gone')],
      ['old', device(true, 100, 'g1')],
      ['new', device(false, 300, 'g1')],
    ]);
    expect(
      decideOnline(
        devices,
        new Map([
          ['gone', null],
          ['g1', live(200)],
        ]),
        false,
      ),
    ).toEqual({
      online: false,
      stale: ['dead', 'old'],
    });
  });

  it('judges nothing stale when the directory is cold', () => {
    const devices = new Map([['a', device(true, 100, 'gone')]]);
    expect(decideOnline(devices, new Map([['gone', null]]), true)).toEqual({
      online: true,
      stale: [],
    });
  });
});

describe('latestPerUser', () => {
  it('keeps one entry per user with the latest time, dropping unreadable times', () => {
    expect(
      latestPerUser([
        { userId: alice, at: 10 },
        { userId: alice, at: 30 },
        { userId: bob, at: Number.NaN },
        { userId: alice, at: 20 },
      ]),
    ).toEqual([{ userId: alice, at: 30 }]);
  });
});
