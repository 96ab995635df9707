import { z } from 'zod/v4';
import { deviceIdSchema, gatewayIdSchema, gatewaySocketUrlSchema, ticketSchema } from '../ids';

/**
 * `POST /v1/connect`: a client keeps one device id per installation. `sync: "v2"` says the socket
 * starts with a sync v2 round: the gateway holds live pushes for it from the first moment until
 * that sync converges, so nothing live arrives before what the sync sends (ordered resume).
 */
export const connectBodySchema = z
  .object({
    deviceId: deviceIdSchema.optional(),
    sync: z.literal('v2').optional(),
    /**
     * Gateway WebSocket URLs this client just failed to reach: the answer offers none of them
     * (when that leaves none, the gateway answering is offered: it just answered).
     */
    unreachable: z.array(gatewaySocketUrlSchema).max(8).optional(),
  })
  .strict();
export type ConnectBody = z.output<typeof connectBodySchema>;

/** Where to open the WebSocket, backups, and the single-use ticket. */
export const connectAnswerSchema = z.object({
  url: z.string().regex(/^wss?:\/\//),
  backups: z.array(z.string().regex(/^wss?:\/\//)),
  ticket: ticketSchema,
  deviceId: deviceIdSchema,
  gatewayId: gatewayIdSchema,
  /** Seconds the ticket stays valid. */
  expiresIn: z.number().int().positive(),
});
export type ConnectAnswer = z.output<typeof connectAnswerSchema>;

/**
 * A socket opened directly with the access token (no ticket) from a browser, which cannot set an
 * `Authorization` header on an upgrade, offers two subprotocols: this one, which the gateway
 * selects, and `parley.bearer.<access token>`, which carries the token and is never selected
 * (so never echoed). Native clients send the header instead.
 */
export const PARLEY_SUBPROTOCOL = 'parley';
export const BEARER_SUBPROTOCOL_PREFIX = 'parley.bearer.';
