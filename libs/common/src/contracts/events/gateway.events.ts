import { z } from 'zod/v4';
import { defineEvent } from '../envelope';
import { isoTimeSchema, urlString } from '@parley/protocol';

/**
 * A gateway is up-and-running. Each gateway publishes this every second or so on
 * `Topic.GatewayHeartbeats`, keyed by its id; session keeps the live-gateway table from it and
 * forgets a gateway that stops sending (see apps/session).
 */
export const GatewayHeartbeatV1 = defineEvent(
  'gateway.heartbeat',
  1,
  z
    .object({
      gatewayId: z
        .string()
        .min(1)
        .max(64)
        .regex(/^[\w.-]+$/, 'letters, digits, ".", "_" or "-"'),
      /** Where clients open their WebSocket: a ws:// or wss:// URL. */
      publicUrl: urlString()
        .max(512)
        .refine((v) => v.startsWith('ws://') || v.startsWith('wss://'), {
          message: 'must be a ws or wss URL',
        })
        // Documented as a URI (the API documents), as zod 3's `.url()` was.
        .meta({ format: 'uri' }),
      /** Open client connections on this gateway right now. */
      connections: z.number().int().nonnegative(),
      /** When this gateway process started (a new value means it restarted). */
      startedAt: isoTimeSchema,
      /**
       * The gateway's last beat, sent as it shuts down cleanly: session drops it from the
       * directory at once instead of waiting for its entry to expire.
       */
      leaving: z.literal(true).optional(),
    })
    .strict(),
);
