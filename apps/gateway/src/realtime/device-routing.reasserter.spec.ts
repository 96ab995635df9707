import type Redis from 'ioredis';
import type { ConnectionRegistry } from '../connections/connection-registry.service';
import type { GatewayHeartbeatService } from '../heartbeat/gateway-heartbeat.service';
import type { ClientConnection } from './client-connection';
import type { ConnectionEventsPublisher } from './connection-events.publisher';
import { DeviceRoutingReasserter } from './device-routing.reasserter';

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
  const socket = { isOpen: true, presenceState: 'background', pushesLost: jest.fn() };
  const events = { opened: jest.fn(() => Promise.resolve()), stateChanged: jest.fn() };
  const heartbeat = { directoryEntryMissing: jest.fn() };
  const reasserter = new DeviceRoutingReasserter(
    redis as unknown as Redis,
    { all: () => [socket] } as unknown as ConnectionRegistry<ClientConnection>,
    events as unknown as ConnectionEventsPublisher,
    heartbeat as unknown as GatewayHeartbeatService,
    { GATEWAY_ID: 'gateway-1', GATEWAY_HEARTBEAT_MS: 1000 },
  );
  reasserter.onApplicationBootstrap();
  return { reasserter, socket, events, heartbeat };
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
