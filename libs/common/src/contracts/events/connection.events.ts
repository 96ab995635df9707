import { z } from 'zod/v4';
import { defineEvent } from '../envelope';
import {
  connectionIdSchema,
  deviceIdSchema,
  gatewayIdSchema,
  isoTimeSchema,
  userIdSchema,
} from '@parley/protocol';

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

/**
 * A device's WebSocket closed: by the client, for missed pongs, at gateway shutdown, on a socket
 * error, because its log-in session ended, its authorization expired, or a newer socket of the
 * same device replaced it. (The last three were added to V1's enum: a widening every consumer in
 * this repository accepts; consumers only act on "closed", never on the reason.)
 */
export const ConnectionClosedV1 = defineEvent(
  'connection.closed',
  1,
  z
    .object({
      ...connection,
      reason: z.enum([
        'client',
        'heartbeat-timeout',
        'shutdown',
        'error',
        'session-ended',
        'token-expired',
        'replaced',
      ]),
    })
    .strict(),
);

/**
 * The device behind an open socket moved to the foreground or the background (its `presence.state`
 * frame, when it changes). On the same topic and key as opened/closed, so presence applies a
 * socket's states in order with its opening and closing. `active`: the user did it (their last
 * seen moves to `at`, applied after the state, so watchers are told online, not a new last seen
 * of someone offline).
 */
export const ConnectionStateChangedV1 = defineEvent(
  'connection.state-changed',
  1,
  z
    .object({
      ...connection,
      state: z.enum(['foreground', 'background']),
      active: z.boolean().optional(),
    })
    .strict(),
);

export const CONNECTION_EVENTS = [
  ConnectionOpenedV1,
  ConnectionClosedV1,
  ConnectionStateChangedV1,
] as const;
