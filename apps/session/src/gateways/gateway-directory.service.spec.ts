import { createEnvelope, GatewayHeartbeatV1 } from '@parley/common';
import { GatewayHeartbeatEnvelope, planGatewayUpdates } from './gateway-directory.service';

function beat(
  gatewayId: string,
  connections: number,
  time: string,
  leaving?: true,
): GatewayHeartbeatEnvelope {
  const env = createEnvelope(
    GatewayHeartbeatV1,
    {
      gatewayId,
      publicUrl: `ws://127.0.0.1:3000/ws`,
      connections,
      startedAt: '2025-01-01T00:00:00.000Z',
      ...(leaving ? { leaving } : {}),
    },
    gatewayId,
  );
  return { ...env, time };
}

const now = Date.parse('2025-01-01T00:01:00.000Z');

describe('planGatewayUpdates', () => {
  it('keeps the latest heartbeat per gateway', () => {
    const updates = planGatewayUpdates(
      [
        beat('g1', 5, '2025-01-01T00:00:55.000Z'),
        beat('g2', 1, '2025-01-01T00:00:58.000Z'),
        beat('g1', 7, '2025-01-01T00:00:59.000Z'),
      ],
      now,
      9000,
    );
    expect(
      updates.map((u) => (u.leaving ? [] : [u.gateway.gatewayId, u.gateway.connections, u.ttlMs])),
    ).toEqual([
      ['g1', 7, 8000],
      ['g2', 1, 7000],
    ]);
  });

  it('drops heartbeats older than the ttl (a replayed backlog says nothing about now)', () => {
    expect(planGatewayUpdates([beat('g1', 5, '2025-01-01T00:00:40.000Z')], now, 9000)).toEqual([]);
  });

  it('does not trust a sender clock ahead of ours beyond one full ttl', () => {
    const [update] = planGatewayUpdates([beat('g1', 0, '2025-01-01T00:05:00.000Z')], now, 9000);
    if (update.leaving) throw new Error('expected a refresh');
    expect(update.ttlMs).toBe(9000);
    expect(update.gateway.lastHeartbeatAt).toBe('2025-01-01T00:01:00.000Z');
  });

  it('removes a gateway whose latest beat says it is leaving, and only that one', () => {
    const updates = planGatewayUpdates(
      [
        beat('g1', 5, '2025-01-01T00:00:58.000Z'),
        beat('g1', 0, '2025-01-01T00:00:59.000Z', true),
        beat('g2', 1, '2025-01-01T00:00:59.000Z'),
      ],
      now,
      2500,
    );
    expect(updates).toEqual([
      { leaving: true, gatewayId: 'g1' },
      expect.objectContaining({ leaving: false, ttlMs: 1500 }),
    ]);
  });
});
