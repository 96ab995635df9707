import { connectionIdSchema, deviceIdSchema, gatewayIdSchema } from '@parley/protocol';
import { z } from 'zod/v4';

/** Where a send came from: the gateway box and socket that must receive its ack. */
export const originSchema = z
  .object({
    gatewayId: gatewayIdSchema,
    connectionId: connectionIdSchema,
    deviceId: deviceIdSchema,
  })
  .strict();
export type Origin = z.output<typeof originSchema>;
