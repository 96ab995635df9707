import { z } from 'zod';
import { defineEvent } from '../envelope';
import {
  connectionIdSchema,
  deviceIdSchema,
  gatewayIdSchema,
  isoTimeSchema,
  userIdSchema,
} from './ids';

const connection = {
  userId: userIdSchema,
  deviceId: deviceIdSchema,
  gatewayId: gatewayIdSchema,
  connectionId: connectionIdSchema,
  at: isoTimeSchema,
};

/** A device's WebSocket opened on a gateway (after its connect ticket was accepted). */
export const ConnectionOpenedV1 = defineEvent(
  'connection.opened',
  1,
  z.object(connection).strict(),
);

/** A device's WebSocket closed (client close, missed pongs, gateway shutdown). */
export const ConnectionClosedV1 = defineEvent(
  'connection.closed',
  1,
  z
    .object({
      ...connection,
      reason: z.enum(['client', 'heartbeat-timeout', 'shutdown', 'error']),
    })
    .strict(),
);

export const CONNECTION_EVENTS = [ConnectionOpenedV1, ConnectionClosedV1] as const;
