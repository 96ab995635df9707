import type Redis from 'ioredis';
import type { ConnectionRegistry } from '../connections/connection-registry.service';
import type { EndedSessionsRestorer } from '../accounts/ended-sessions.restorer';
import type { GatewayHeartbeatService } from '../heartbeat/gateway-heartbeat.service';
import type { ClientConnection } from './client-connection';
import type { ConnectionEventsPublisher } from './connection-events.publisher';
import { DeviceRoutingReasserter } from './device-routing.reasserter';
import type { GatewayInstanceLease } from './gateway-instance.lease';
import type { SocketAdmissionRepository } from './socket-admission.repository';

/**
 * The checks' answers in turn: whether the marker had to be claimed (Redis lost its data) and
 * whether the directory lists this gateway.
 */
function reasserterOver(answers: { claimed: boolean; listed: boolean }[]) {
  let turn = -1;
  const redis = {
    set: () => Promise.resolve(answers[++turn].claimed ? 'OK' : null),
    exists: () => Promise.resolve(answers[turn].listed ? 1 : 0),
  };
  const socket = {
    id: 'c-1',
    userId: 'u-1',
    deviceId: 'phone',
    isOpen: true,
    sessionId: 'session-1',
    presenceState: 'background',
    pushesLost: jest.fn(),
    closeSessionEnded: jest.fn(),
    closeReplaced: jest.fn(),
  };
  const events = { opened: jest.fn(() => Promise.resolve()), stateChanged: jest.fn() };
  const heartbeat = { directoryEntryMissing: jest.fn() };
  const endedSessions = { restore: jest.fn(() => Promise.resolve([] as string[])) };
  /** What the lease and the admissions were asked, in order. */
  const asked: string[] = [];
  const admissions = {
    readmit: jest.fn(() => {
      asked.push('readmit');
      return Promise.resolve([] as string[]);
    }),
  };
  const lease = {
    instanceId: 'instance-1',
    renew: jest.fn(() => {
      asked.push('renew');
      return Promise.resolve();
    }),
  };
  const reasserter = new DeviceRoutingReasserter(
    redis as unknown as Redis,
    { all: () => [socket], get: () => socket } as unknown as ConnectionRegistry<ClientConnection>,
    events as unknown as ConnectionEventsPublisher,
    heartbeat as unknown as GatewayHeartbeatService,
    endedSessions as unknown as EndedSessionsRestorer,
    admissions as unknown as SocketAdmissionRepository,
    lease as unknown as GatewayInstanceLease,
    { GATEWAY_ID: 'gateway-1', GATEWAY_HEARTBEAT_MS: 1000 },
  );
  reasserter.onApplicationBootstrap();
  return { reasserter, socket, events, heartbeat, endedSessions, admissions, asked };
}

describe('DeviceRoutingReasserter', () => {
  afterEach(() => jest.useRealTimers());
  beforeEach(() => jest.useFakeTimers());

  it('re-asserts the sockets and tells them to sync when Redis lost its data', async () => {
    const { reasserter, socket, events } = reasserterOver([
      { claimed: false, listed: true },
      { claimed: true, listed: true },
      { claimed: false, listed: true },
    ]);
    expect(await reasserter.check()).toBe(0);
    expect(await reasserter.check()).toBe(1);
    expect(await reasserter.check()).toBe(0);
    expect(events.opened).toHaveBeenCalledTimes(1);
    expect(socket.pushesLost).toHaveBeenCalledTimes(1);
    reasserter.onModuleDestroy();
  });

  it('writes the sockets back into their users’ hashes when Redis lost its data, closing one a newer socket replaced', async () => {
    const { reasserter, socket, admissions } = reasserterOver([
      { claimed: true, listed: true },
      { claimed: false, listed: false },
      { claimed: false, listed: true },
    ]);
    admissions.readmit.mockImplementationOnce(() => Promise.resolve(['c-1']));
    await reasserter.check();
    expect(admissions.readmit).toHaveBeenCalledWith([
      {
        userId: 'u-1',
        connectionId: 'c-1',
        deviceId: 'phone',
        gatewayId: 'gateway-1',
        instanceId: 'instance-1',
      },
    ]);
    expect(socket.closeReplaced).toHaveBeenCalledTimes(1);
    await reasserter.check();
    await reasserter.check(); // back in the directory: the hashes were not lost again
    expect(admissions.readmit).toHaveBeenCalledTimes(1);
    reasserter.onModuleDestroy();
  });

  it('writes its instance key back before the sockets (an admission prunes entries of an instance it cannot find)', async () => {
    const { reasserter, asked } = reasserterOver([
      { claimed: false, listed: true },
      { claimed: true, listed: true },
      { claimed: false, listed: true },
    ]);
    await reasserter.check();
    expect(asked).toEqual([]);
    await reasserter.check();
    await reasserter.check();
    expect(asked).toEqual(['renew', 'readmit']);
    reasserter.onModuleDestroy();
  });

  it('re-asserts again at the next check when a re-assertion failed halfway', async () => {
    const { reasserter, socket, events } = reasserterOver([
      { claimed: true, listed: true },
      { claimed: false, listed: true },
      { claimed: false, listed: true },
    ]);
    events.opened.mockImplementationOnce(() => Promise.reject(new Error('Redis went away')));
    expect(await reasserter.check()).toBe(0); // failed: nothing counted as re-asserted
    expect(await reasserter.check()).toBe(1); // retried, though the marker is there now
    expect(await reasserter.check()).toBe(0); // done
    expect(events.opened).toHaveBeenCalledTimes(2);
    expect(socket.pushesLost).toHaveBeenCalledTimes(1);
    reasserter.onModuleDestroy();
  });

  it('marks ended sessions again when Redis lost its data, retrying until it can, and closes their sockets', async () => {
    const { reasserter, socket, events, endedSessions } = reasserterOver([
      { claimed: false, listed: true },
      { claimed: true, listed: true },
      { claimed: false, listed: true },
      { claimed: false, listed: true },
    ]);
    await reasserter.check();
    expect(endedSessions.restore).not.toHaveBeenCalled();
    endedSessions.restore.mockImplementationOnce(() =>
      Promise.reject(new Error('PostgreSQL down')),
    );
    await reasserter.check(); // lost: the restore fails, the sockets are re-asserted anyway
    expect(events.opened).toHaveBeenCalledTimes(1);
    endedSessions.restore.mockImplementationOnce(() => Promise.resolve(['session-1']));
    await reasserter.check(); // retried: its session ended, its socket closes
    expect(endedSessions.restore).toHaveBeenCalledTimes(2);
    expect(socket.closeSessionEnded).toHaveBeenCalledTimes(1);
    await reasserter.check(); // done: not asked again
    expect(endedSessions.restore).toHaveBeenCalledTimes(2);
    reasserter.onModuleDestroy();
  });

  it('unlisted too, tells the sockets to sync only once the directory lists the gateway again', async () => {
    const { reasserter, socket, events, heartbeat } = reasserterOver([
      { claimed: false, listed: true },
      { claimed: true, listed: false },
      { claimed: false, listed: false },
      { claimed: false, listed: true },
      { claimed: false, listed: true },
    ]);
    await reasserter.check();
    expect(await reasserter.check()).toBe(1); // routes written back; storage skips it unlisted
    expect(socket.pushesLost).not.toHaveBeenCalled();
    expect(heartbeat.directoryEntryMissing).toHaveBeenCalled();
    expect(await reasserter.check()).toBe(0);
    expect(await reasserter.check()).toBe(1); // back in the directory: pushes go through again
    expect(socket.pushesLost).toHaveBeenCalledTimes(1);
    expect(await reasserter.check()).toBe(0);
    expect(events.opened).toHaveBeenCalledTimes(2);
    expect(socket.pushesLost).toHaveBeenCalledTimes(1);
    reasserter.onModuleDestroy();
  });
});
