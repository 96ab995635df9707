import {
  DeliveryRouter,
  deliveryBatchSchema,
  dropDeadGateways,
  RedisChannels,
  ROUTES_USERS_PER_CALL,
  type DeviceConnection,
  type DeviceLocationsRepository,
} from '@parley/common';
import { randomUUID } from 'node:crypto';
import type { StoredMessage } from '../messages/message-persist.plan';
import type { DeliveryPublisher } from './delivery.publisher';
import { type FanoutRoutes, fanoutRoutes } from './fanout.metrics';
import type { RouteCheck } from './route-memory';
import { planChannelDeliveries, planDeliveries, planReceipts } from './message-fanout.plan';
import { MessageFanoutService } from './message-fanout.service';

const conv = `1763900000000-${'a'.repeat(32)}`;
const alice: string = randomUUID();
const bob: string = randomUUID();
const carol: string = randomUUID();

function conn(userId: string, gatewayId: string, deviceId: string): DeviceConnection {
  return {
    userId,
    connectionId: randomUUID(),
    deviceId,
    gatewayId,
    since: '2025-01-01T00:00:00.000Z',
  };
}

const aliceLaptop = conn(alice, 'gateway-1', 'laptop');
const alicePhone = conn(alice, 'gateway-2', 'phone');
const bobPhone = conn(bob, 'gateway-2', 'phone');
const carolLaptop = conn(carol, 'gateway-1', 'laptop');
const connections = new Map([
  [alice, [aliceLaptop, alicePhone]],
  [bob, [bobPhone]],
  [carol, [carolLaptop]],
]);

function stored(seq: number, duplicate = false, memberIds = [alice, bob, carol]): StoredMessage {
  return {
    conversationId: conv,
    seq,
    senderId: alice,
    senderUsername: 'alice',
    clientMsgId: `c${seq}`,
    text: `message ${seq}`,
    serverTime: '2025-01-01T00:00:01.000Z',
    memberIds,
    origin: { gatewayId: 'gateway-1', connectionId: aliceLaptop.connectionId, deviceId: 'laptop' },
    duplicate,
  };
}

describe('planDeliveries', () => {
  it('builds ONE valid batch per gateway box: ack to the origin, the message to every other socket', () => {
    const batches = planDeliveries([stored(1), stored(2)], connections);
    expect([...batches.keys()].sort()).toEqual(['gateway-1', 'gateway-2']);
    for (const batch of batches.values()) expect(deliveryBatchSchema.parse(batch)).toEqual(batch);

    const g1 = batches.get('gateway-1')!;
    expect(g1.items.map((i) => i.message.seq)).toEqual([1, 2]);
    expect(g1.items[0]).toEqual({
      message: {
        conversationId: conv,
        seq: 1,
        senderId: alice,
        senderUsername: 'alice',
        clientMsgId: 'c1',
        text: 'message 1',
        serverTime: '2025-01-01T00:00:01.000Z',
      },
      connectionIds: [carolLaptop.connectionId],
      ackConnectionId: aliceLaptop.connectionId,
    });
    const g2 = batches.get('gateway-2')!;
    // The sender's other device gets it as a message, like any recipient.
    expect(g2.items[0].connectionIds.sort()).toEqual(
      [alicePhone.connectionId, bobPhone.connectionId].sort(),
    );
    expect(g2.items[0].ackConnectionId).toBeUndefined();
  });

  it('sends a duplicate (a replay after a crash, or a retry) to every member, and the ack to its origin', () => {
    const fresh = planDeliveries([stored(5)], connections);
    const replayed = planDeliveries([stored(5, true)], connections);
    expect(replayed).toEqual(fresh);
  });

  it('pushes each (conversation, seq) once per batch: a repeat in the same batch only acks', () => {
    const batches = planDeliveries([stored(5), stored(5, true)], connections);
    const g1 = batches.get('gateway-1')!;
    expect(g1.items).toHaveLength(2);
    expect(g1.items[0].connectionIds).toEqual([carolLaptop.connectionId]);
    expect(g1.items[1]).toMatchObject({
      connectionIds: [],
      ackConnectionId: aliceLaptop.connectionId,
    });
    expect(batches.get('gateway-2')!.items).toHaveLength(1);
  });

  it('acks the origin even when its socket is not (yet) in the location table', () => {
    const batches = planDeliveries([stored(1, false, [alice, bob])], new Map([[bob, [bobPhone]]]));
    expect(batches.get('gateway-1')!.items[0]).toMatchObject({
      connectionIds: [],
      ackConnectionId: aliceLaptop.connectionId,
    });
    expect(batches.get('gateway-2')!.items[0].connectionIds).toEqual([bobPhone.connectionId]);
  });
});

describe('dropDeadGateways', () => {
  it('drops sockets on gateways missing from the live directory and returns them for removal', () => {
    const { routable, stale } = dropDeadGateways(connections, new Set(['gateway-1']));
    expect(routable.get(alice)).toEqual([aliceLaptop]);
    expect(routable.get(bob)).toEqual([]);
    expect(stale).toEqual([
      { userId: alice, connectionId: alicePhone.connectionId },
      { userId: bob, connectionId: bobPhone.connectionId },
    ]);
  });

  it('removes nothing when no gateway at all looks live (a cold directory)', () => {
    const { routable, stale } = dropDeadGateways(connections, new Set());
    expect(stale).toEqual([]);
    expect(routable.get(alice)).toEqual([aliceLaptop, alicePhone]);
  });
});

/** A user's socket hash as HGETALL's flat list. */
function heldOf(userId: string): string[] {
  return (connections.get(userId) ?? []).flatMap(({ connectionId, ...location }) => [
    connectionId,
    JSON.stringify(location),
  ]);
}

/** parley_fanout_routes_total by label. */
async function routesCounted(): Promise<Record<FanoutRoutes, number>> {
  const counted = { remembered: 0, moved: 0, 'looked-up': 0 };
  for (const { labels, value } of (await fanoutRoutes().get()).values) {
    counted[labels.routes as FanoutRoutes] = value;
  }
  return counted;
}

describe('MessageFanoutService', () => {
  /** gateway-2 is dead unless `allLive`: alice's phone and bob's are stale then. */
  function setup(allLive = false) {
    const isLive = (g: string) => allLive || g === 'gateway-1';
    const locations = {
      findConnectionsAndLive: jest.fn((users: string[], gateways: string[]) =>
        Promise.resolve({
          connections,
          live: new Set(gateways.filter(isLive)),
          held: new Map(users.map((u) => [u, heldOf(u)])),
        }),
      ),
      liveGateways: jest.fn((ids: string[]) => Promise.resolve(new Set(ids.filter(isLive)))),
      forget: jest.fn(() => Promise.resolve()),
    };
    const publish = jest.fn(
      (_b: Map<string, unknown>, _changed?: string[], _others?: unknown, _routes?: RouteCheck) =>
        Promise.resolve(true),
    );
    const service = new MessageFanoutService(
      new DeliveryRouter(locations as unknown as DeviceLocationsRepository),
      { publish } as unknown as DeliveryPublisher,
    );
    return { locations, publish, service };
  }

  it('reads locations once, forgets stale sockets, and publishes one batch per live box', async () => {
    const { locations, publish, service } = setup();
    const result = await service.fanOut([stored(1), stored(2, true)]);
    expect(locations.findConnectionsAndLive).toHaveBeenCalledTimes(1);
    expect(locations.findConnectionsAndLive).toHaveBeenCalledWith([alice, bob, carol], []);
    expect(locations.liveGateways).toHaveBeenCalledWith(['gateway-1', 'gateway-2']);
    expect(locations.forget).toHaveBeenCalledWith([
      { userId: alice, connectionId: alicePhone.connectionId },
      { userId: bob, connectionId: bobPhone.connectionId },
    ]);
    expect(publish).toHaveBeenCalledTimes(1);
    expect([...publish.mock.calls[0][0].keys()]).toEqual(['gateway-1']);
    expect(result).toEqual({ gateways: 1, items: 2, staleConnections: 2 });
    expect(RedisChannels.delivery('dev', 'gateway-1')).toBe('parley:dev:deliveries:gateway-1');
  });

  it('asks about the gateways it has seen with the locations: one round trip from then on', async () => {
    const { locations, service } = setup();
    await service.fanOut([stored(1)]);
    await service.fanOut([stored(2)]);
    expect(locations.liveGateways).toHaveBeenCalledTimes(1);
    expect(locations.findConnectionsAndLive).toHaveBeenLastCalledWith(
      [alice, bob, carol],
      ['gateway-1', 'gateway-2'],
    );
    expect(locations.forget).toHaveBeenCalledTimes(2);
  });

  it('plans with the routes it looked up before and publishes them with their check: no look-up', async () => {
    const { locations, publish, service } = setup(true);
    const before = await routesCounted();
    await service.fanOut([stored(1)]);
    const result = await service.fanOut([stored(2)]);
    expect(await routesCounted()).toEqual({
      ...before,
      'looked-up': before['looked-up'] + 1,
      remembered: before.remembered + 1,
    });
    expect(locations.findConnectionsAndLive).toHaveBeenCalledTimes(1);
    expect(publish).toHaveBeenCalledTimes(2);
    expect(publish.mock.calls[0][3]).toBeUndefined();
    const [batches, , , check] = publish.mock.calls[1];
    expect(batches).toEqual(planDeliveries([stored(2)], connections));
    expect(check?.users).toEqual(
      [alice, bob, carol].map((userId) => ({
        userId,
        held: heldOf(userId),
      })),
    );
    expect([...(check?.gateways ?? [])].sort()).toEqual(['gateway-1', 'gateway-2']);
    expect(result).toEqual({ gateways: 2, items: 2, staleConnections: 0 });
  });

  it('looks the routes up and publishes the boxes’ batches again, alone, when its check fails', async () => {
    const { locations, publish, service } = setup(true);
    await service.fanOut([stored(1)]);
    publish.mockResolvedValueOnce(false);
    const before = await routesCounted();
    const result = await service.fanOut([{ ...stored(2), membersChanged: true }]);
    expect(await routesCounted()).toEqual({ ...before, moved: before.moved + 1 });
    expect(locations.findConnectionsAndLive).toHaveBeenCalledTimes(2);
    expect(publish).toHaveBeenCalledTimes(3);
    // The checked call carried the members' change; the second carries the batches only.
    expect(publish.mock.calls[1][1]).toEqual([conv]);
    expect(publish.mock.calls[2]).toEqual([planDeliveries([stored(2)], connections)]);
    expect(result).toEqual({ gateways: 2, items: 2, staleConnections: 0 });
  });

  it('looks up a fan-out to more recipients than one checked call takes, every time', async () => {
    const { locations, service } = setup(true);
    const socketOf = (u: string) => conn(u, 'gateway-1', 'phone');
    locations.findConnectionsAndLive.mockImplementation((users: string[], gateways: string[]) => {
      const found = new Map(users.map((u) => [u, [socketOf(u)]]));
      return Promise.resolve({
        connections: found,
        live: new Set(gateways),
        held: new Map(users.map((u) => [u, [u, '{}']])),
      });
    });
    const many = (size: number) => Array.from({ length: size }, () => randomUUID());
    const [small, large] = [many(ROUTES_USERS_PER_CALL), many(ROUTES_USERS_PER_CALL + 1)];
    for (const members of [small, small, large, large]) {
      await service.fanOut([stored(1, false, members)]);
    }
    // The first of each is looked up; of the second, only the larger group.
    expect(locations.findConnectionsAndLive).toHaveBeenCalledTimes(3);
  });

  it('looks up a user with a stale socket every time, and everyone while the directory is cold', async () => {
    const stale = setup();
    await stale.service.fanOut([stored(1)]);
    await stale.service.fanOut([stored(2)]);
    expect(stale.locations.findConnectionsAndLive).toHaveBeenCalledTimes(2);
    expect(stale.publish.mock.calls.map((c) => c[3])).toEqual([undefined, undefined]);

    const cold = setup();
    cold.locations.findConnectionsAndLive.mockImplementation((users: string[]) =>
      Promise.resolve({
        connections,
        live: new Set<string>(),
        held: new Map(users.map((u) => [u, heldOf(u)])),
      }),
    );
    cold.locations.liveGateways.mockResolvedValue(new Set());
    await cold.service.fanOut([stored(1, false, [carol])]);
    await cold.service.fanOut([stored(2, false, [carol])]);
    expect(cold.locations.findConnectionsAndLive).toHaveBeenCalledTimes(2);
  });

  it('runs its calls one after another in the order made; a failed one does not hold up the next', async () => {
    const { locations, publish, service } = setup();
    let releaseFirst!: () => void;
    publish.mockImplementationOnce(
      () => new Promise<boolean>((resolve) => (releaseFirst = () => resolve(true))),
    );
    publish.mockRejectedValueOnce(new Error('Redis unavailable'));
    const first = service.fanOut([stored(1)]);
    const second = service.fanOut([stored(2)]);
    const third = service.fanOut([stored(3)]);
    await new Promise((resolve) => setImmediate(resolve));
    // The first is publishing; the others have not even looked up the locations yet.
    expect(locations.findConnectionsAndLive).toHaveBeenCalledTimes(1);
    releaseFirst();
    await expect(first).resolves.toMatchObject({ items: 1 });
    await expect(second).rejects.toThrow('Redis unavailable');
    await expect(third).resolves.toMatchObject({ items: 1 });
    const seqs = publish.mock.calls.map(([batches]) =>
      (batches.get('gateway-1') as { items: { message: { seq: number } }[] }).items.map(
        (i) => i.message.seq,
      ),
    );
    expect(seqs).toEqual([[1], [2], [3]]);
  });

  it('publishes nothing for an empty batch', async () => {
    const { locations, publish, service } = setup();
    await expect(service.fanOut([])).resolves.toEqual({
      gateways: 0,
      items: 0,
      staleConnections: 0,
    });
    expect(locations.findConnectionsAndLive).not.toHaveBeenCalled();
    expect(publish).not.toHaveBeenCalled();
  });
});

describe('planChannelDeliveries', () => {
  it("puts a channel's post, with its ack, in the ONE broadcast batch and in no box's batch", () => {
    const post = { ...stored(5), channel: true as const };
    const event = {
      ...stored(6),
      channel: true as const,
      event: { type: 'renamed' as const, name: 'News' },
    };
    expect(planDeliveries([post, event], connections).size).toBe(0);
    const batch = planChannelDeliveries([post, event]);
    expect(batch && deliveryBatchSchema.parse(batch)).toEqual(batch);
    expect(batch?.items.map(({ message, ...rest }) => ({ seq: message.seq, ...rest }))).toEqual([
      // The origin socket gets its ack, from whichever box holds it, in the channel's order.
      {
        seq: 5,
        connectionIds: [],
        channel: true,
        ackConnectionId: aliceLaptop.connectionId,
        originConnectionId: aliceLaptop.connectionId,
      },
      // A membership event's text is storage's: its origin gets it pushed too.
      {
        seq: 6,
        connectionIds: [aliceLaptop.connectionId],
        channel: true,
        ackConnectionId: aliceLaptop.connectionId,
      },
    ]);
  });
});

describe('planReceipts', () => {
  const phone = (userId: string, gatewayId: string, connectionId: string): DeviceConnection => ({
    userId,
    connectionId,
    gatewayId,
    deviceId: `${connectionId}-device`,
    since: '2026-01-01T00:00:00.000Z',
  });

  it('sends each moved receipt to every socket of the other members, one entry per box', () => {
    const [alice, bob] = [randomUUID(), randomUUID()];
    const [a1, a2, b1] = [randomUUID(), randomUUID(), randomUUID()];
    const connections = new Map<string, DeviceConnection[]>([
      [alice, [phone(alice, 'gateway-1', a1), phone(alice, 'gateway-2', a2)]],
      [bob, [phone(bob, 'gateway-1', b1)]],
    ]);
    const receipt = { conversationId: conv, userId: bob, deliveredSeq: 7, readSeq: 5 };
    const batches = planReceipts([{ ...receipt, memberIds: [alice, bob] }], connections);
    expect([...batches.keys()].sort()).toEqual(['gateway-1', 'gateway-2']);
    // Bob's own socket is not told of his own move.
    expect(batches.get('gateway-1')).toEqual({
      version: 1,
      items: [],
      receipts: [{ receipt, connectionIds: [a1] }],
    });
    expect(batches.get('gateway-2')?.receipts).toEqual([{ receipt, connectionIds: [a2] }]);
    for (const batch of batches.values()) expect(deliveryBatchSchema.parse(batch)).toEqual(batch);
  });

  it('shows read state only between members who both have read receipts on', () => {
    const [alice, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
    const [a1, b1, c1] = [randomUUID(), randomUUID(), randomUUID()];
    const connections = new Map<string, DeviceConnection[]>([
      [alice, [phone(alice, 'gateway-1', a1)]],
      [bob, [phone(bob, 'gateway-1', b1)]],
      [carol, [phone(carol, 'gateway-1', c1)]],
    ]);
    const receipt = { conversationId: conv, userId: bob, deliveredSeq: 7, readSeq: 5 };
    const delivered = { ...receipt, readSeq: 0 };
    const memberIds = [alice, bob, carol];
    // Carol turned read receipts off: she is told bob's delivered cursor only.
    const blind = planReceipts([{ ...receipt, memberIds, blindIds: [carol] }], connections);
    expect(blind.get('gateway-1')?.receipts).toEqual([
      { receipt, connectionIds: [a1] },
      { receipt: delivered, connectionIds: [c1] },
    ]);
    // Bob turned them off: nobody is told his read cursor.
    const hidden = planReceipts([{ ...receipt, memberIds, readHidden: true }], connections);
    expect(hidden.get('gateway-1')?.receipts).toEqual([
      { receipt: delivered, connectionIds: [a1, c1] },
    ]);
  });

  it('publishes nothing for members with no socket', () => {
    const receipt = { conversationId: conv, userId: 'u', deliveredSeq: 1, readSeq: 0 };
    expect(planReceipts([{ ...receipt, memberIds: ['u', 'v'] }], new Map()).size).toBe(0);
    const onlyHis = new Map([['u', [phone('u', 'gateway-1', randomUUID())]]]);
    expect(planReceipts([{ ...receipt, memberIds: ['u', 'v'] }], onlyHis).size).toBe(0);
  });
});
