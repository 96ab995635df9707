import {
  ConnectionClosedV1,
  ConnectionOpenedV1,
  AccountLoggedInV1,
  AccountLoggedOutV1,
  AccountRegisteredV1,
  AppException,
  createEnvelope,
} from '@parley/common';
import { randomUUID } from 'node:crypto';
import { PresenceRepository } from './presence.repository';
import { AccountEventEnvelope, latestActivityPerUser, PresenceService } from './presence.service';

const alice = randomUUID();
const bob = randomUUID();

function loggedIn(userId: string, at: string): AccountEventEnvelope {
  return createEnvelope(AccountLoggedInV1, { userId, at }, 'test');
}

describe('latestActivityPerUser', () => {
  it('keeps one entry per user with the latest time, whatever the order', () => {
    const events: AccountEventEnvelope[] = [
      loggedIn(alice, '2025-01-01T10:00:00.000Z'),
      createEnvelope(AccountLoggedOutV1, { userId: alice, at: '2025-01-01T12:00:00.000Z' }, 't'),
      loggedIn(alice, '2025-01-01T11:00:00.000Z'),
      loggedIn(bob, '2025-01-02T08:00:00.000Z'),
    ];
    expect(latestActivityPerUser(events)).toEqual([
      { userId: alice, lastSeenAt: new Date('2025-01-01T12:00:00.000Z') },
      { userId: bob, lastSeenAt: new Date('2025-01-02T08:00:00.000Z') },
    ]);
  });

  it('uses the event time for registrations (they carry no explicit time)', () => {
    const registered = createEnvelope(AccountRegisteredV1, { userId: bob, username: 'bob' }, 't');
    expect(latestActivityPerUser([registered])).toEqual([
      { userId: bob, lastSeenAt: new Date(registered.time) },
    ]);
  });
});

describe('PresenceService', () => {
  function service(found: Awaited<ReturnType<PresenceRepository['findLastSeen']>> = null) {
    const repo = {
      upsertLastSeen: jest.fn(() => Promise.resolve()),
      findLastSeen: jest.fn(() => Promise.resolve(found)),
    };
    return { repo, svc: new PresenceService(repo as unknown as PresenceRepository) };
  }

  it('writes the whole batch in one repository call', async () => {
    const { repo, svc } = service();
    const n = await svc.recordAccountActivity([
      loggedIn(alice, '2025-01-01T10:00:00.000Z'),
      loggedIn(bob, '2025-01-01T10:00:00.000Z'),
      loggedIn(alice, '2025-01-01T10:05:00.000Z'),
    ]);
    expect(n).toBe(2);
    expect(repo.upsertLastSeen).toHaveBeenCalledTimes(1);
  });

  it('records connection opened/closed as activity at the event time, latest per user', async () => {
    const { repo, svc } = service();
    const at = (t: string) => ({ deviceId: 'phone', gatewayId: 'gateway-1', at: t });
    const n = await svc.recordConnectionActivity([
      createEnvelope(
        ConnectionOpenedV1,
        { userId: alice, connectionId: randomUUID(), ...at('2025-01-01T10:00:00.000Z') },
        't',
      ),
      createEnvelope(
        ConnectionClosedV1,
        {
          userId: alice,
          connectionId: randomUUID(),
          reason: 'client',
          ...at('2025-01-01T11:00:00.000Z'),
        },
        't',
      ),
    ]);
    expect(n).toBe(1);
    expect(repo.upsertLastSeen).toHaveBeenCalledWith([
      { userId: alice, lastSeenAt: new Date('2025-01-01T11:00:00.000Z') },
    ]);
  });

  it('reads last-seen as ISO time, and throws NotFound for unknown users', async () => {
    const at = new Date('2025-03-01T00:00:00.123Z');
    await expect(service({ userId: alice, lastSeenAt: at }).svc.lastSeen(alice)).resolves.toEqual({
      userId: alice,
      lastSeenAt: '2025-03-01T00:00:00.123Z',
    });
    await expect(service(null).svc.lastSeen(alice)).rejects.toBeInstanceOf(AppException);
  });
});
