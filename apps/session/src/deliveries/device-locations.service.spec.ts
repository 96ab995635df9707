import { ConnectionClosedV1, ConnectionOpenedV1, createEnvelope } from '@parley/common';
import { randomUUID } from 'node:crypto';
import { ConnectionEventEnvelope, planConnectionChanges } from './device-locations.service';

const userId = randomUUID();

function opened(connectionId: string, at = '2025-01-01T00:00:00.000Z'): ConnectionEventEnvelope {
  return createEnvelope(
    ConnectionOpenedV1,
    { userId, deviceId: 'phone', gatewayId: 'gateway-1', connectionId, at },
    'gateway-1',
  );
}

function closed(connectionId: string): ConnectionEventEnvelope {
  return createEnvelope(
    ConnectionClosedV1,
    {
      userId,
      deviceId: 'phone',
      gatewayId: 'gateway-1',
      connectionId,
      at: '2025-01-01T00:01:00.000Z',
      reason: 'client',
    },
    'gateway-1',
  );
}

describe('planConnectionChanges', () => {
  it('keeps the last event per socket: opened then closed in one batch is a removal', () => {
    const a = randomUUID();
    const b = randomUUID();
    expect(planConnectionChanges([opened(a), opened(b), closed(a)])).toEqual({
      opened: [
        {
          userId,
          connectionId: b,
          deviceId: 'phone',
          gatewayId: 'gateway-1',
          since: '2025-01-01T00:00:00.000Z',
        },
      ],
      closed: [{ userId, connectionId: a }],
    });
  });

  it('records a socket that closed and then (replayed order) opened again as open', () => {
    const a = randomUUID();
    const changes = planConnectionChanges([closed(a), opened(a, '2025-01-01T00:02:00.000Z')]);
    expect(changes.closed).toEqual([]);
    expect(changes.opened.map((o) => o.since)).toEqual(['2025-01-01T00:02:00.000Z']);
  });
});
