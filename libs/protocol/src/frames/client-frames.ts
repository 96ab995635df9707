import { z } from 'zod/v4';
import {
  clientMsgIdSchema,
  conversationIdSchema,
  fromSeqSchema,
  seqSchema,
  USERNAME_PATTERN,
} from '../ids';
import { groupChangeRequestSchema } from '../group';
import { sendImageSchema } from '../image';
import { fieldGiven } from '../issues';
import { PRESENCE_WATCH_MAX } from '../presence';
import { userIdSchema } from '../ids';
import { stateDigestSchema } from '../sync/state-digest';
import { stateSummarySchema } from '../sync/state-summary';

/**
 * Client -> server WebSocket frames: one JSON object per text message, with a `type`. Every frame
 * is strict (an unknown field, such as a `from` or `senderId` naming a sender, is refused), and
 * `ref` is an optional client-chosen id echoed in the answer or error.
 */
const ref = z.string().min(1).max(64).optional();

/** Send a message to a conversation, or to a user (1:1; the conversation is made on first contact). */
export const sendFrameSchema = z
  .object({
    type: z.literal('send'),
    ref,
    clientMsgId: clientMsgIdSchema,
    conversationId: conversationIdSchema.optional(),
    /** A username: anything else cannot name a user, and is refused before any look-up. */
    to: z.string().regex(USERNAME_PATTERN, 'must be a username').optional(),
    /**
     * Length limit (characters) is the gateway's MESSAGE_MAX_LENGTH, checked after parsing. With
     * an `image` it is the caption, and may be ''.
     */
    text: z.string(),
    /** An image uploaded with `POST /v1/images` by this user. */
    image: sendImageSchema.optional(),
    /**
     * `false`: no `accepted` frame for this send, only the `ack` (or an `error`). For clients that
     * do not show the accepted state: one frame fewer per message for the gateway to write.
     */
    accepted: z.boolean().optional(),
  })
  .strict()
  .superRefine((_frame, ctx) => {
    // A target sent with a bad value counts as sent: its own problem names it.
    if (fieldGiven(ctx, 'conversationId') === fieldGiven(ctx, 'to')) {
      ctx.addIssue({
        code: 'custom',
        message: 'exactly one of conversationId or to is required',
        path: ['conversationId'],
      });
    }
  });

/**
 * Deprecated (sync v1, kept for one release): ask for the next page of messages past this
 * device's delivered cursors. Use `sync.states`.
 */
export const syncFrameSchema = z
  .object({
    type: z.literal('sync'),
    ref,
    /** The `next` token of the previous page; omit to start from the device's delivered cursors. */
    after: z.string().max(256).optional(),
    limit: z.number().int().min(1).max(500).optional(),
  })
  .strict();

/**
 * A conversation as this device holds it: up to `lastSeq` (0, or `fromSeq` - 1: nothing), with
 * its state digest; `fromSeq` when the device reads it from a seq above 1 (as the server said in
 * `sync.reset` or `sync.done`'s `unknown`).
 */
export const conversationStateSchema = z
  .object({
    conversationId: conversationIdSchema,
    lastSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    digest: stateDigestSchema,
    fromSeq: fromSeqSchema.optional(),
  })
  .strict();
export type ConversationState = z.output<typeof conversationStateSchema>;

/** Instead of a state: "I hold nothing of it; send me its tail" (answered with `sync.reset`). */
export const tailRequestSchema = z
  .object({ conversationId: conversationIdSchema, tail: z.literal(true) })
  .strict();
export type TailRequest = z.output<typeof tailRequestSchema>;

/** The most states one `sync.states` frame carries (a round may span frames). */
export const SYNC_STATES_PER_FRAME = 100;

/**
 * Sync v2: one page of the states this device holds. The server answers each page with the
 * messages the device is missing (`sync.messages`) and `sync.reset` for states that diverged, and
 * the round's last page (`last`, default true) with `sync.done`. `complete`: this round's pages
 * list every conversation the device holds, so the server also lists the ones it does not know.
 */
export const syncStatesFrameSchema = z
  .object({
    type: z.literal('sync.states'),
    ref,
    states: z
      .array(z.union([conversationStateSchema, tailRequestSchema]))
      .max(SYNC_STATES_PER_FRAME),
    complete: z.boolean().optional(),
    last: z.boolean().optional(),
    /**
     * Instead of the states: their summary (stateSummary), in a complete round of this one frame
     * and no states. Every state agrees: `sync.done` converged. Otherwise `sync.done` not
     * converged with nothing listed, and the device sends a complete round of its states.
     */
    summary: stateSummarySchema.optional(),
  })
  .strict()
  .superRefine((frame, ctx) => {
    if (frame.summary === undefined) return;
    if (frame.states.length > 0 || frame.complete !== true || frame.last === false) {
      ctx.addIssue({
        code: 'custom',
        message: 'a summary is a complete round of one frame, with no states',
        path: ['summary'],
      });
    }
  });

/** This device holds the conversation up to `seq` (moves its delivered cursor). */
export const deliveredFrameSchema = z
  .object({
    type: z.literal('delivered'),
    ref,
    conversationId: conversationIdSchema,
    seq: seqSchema,
  })
  .strict();

/** The user has read the conversation up to `seq` (moves the read cursor; unread counts). */
export const readFrameSchema = z
  .object({ type: z.literal('read'), ref, conversationId: conversationIdSchema, seq: seqSchema })
  .strict();

/** A page of history: the last `limit` messages, or those before `beforeSeq`. */
export const historyFrameSchema = z
  .object({
    type: z.literal('history'),
    ref,
    conversationId: conversationIdSchema,
    beforeSeq: seqSchema.optional(),
    limit: z.number().int().min(1).max(100).optional(),
  })
  .strict();

/**
 * Renews the socket's authorization with a fresh access token before the one it was opened with
 * expires (`hello.expiresAt`): answered with `auth.ok` and the new expiry. A socket whose
 * authorization runs out is closed with CloseCode.TokenExpired.
 */
export const authFrameSchema = z
  .object({ type: z.literal('auth'), ref, token: z.string().min(1).max(4096) })
  .strict();

/**
 * Create a group or a channel, or change one (`conversationId`, required for every op but `create`
 * and `create-channel`). Answered like a `send`: `accepted` once Kafka holds it, then `ack` with the seq of the membership event
 * once storage applied it in the conversation's order, or `error` (`forbidden`: not a member, or
 * not an admin; `validation_failed`: nothing to change, too many members). `clientMsgId` is the
 * idempotency key, as for a send: a retry applies the change once.
 */
export const groupFrameSchema = z
  .object({
    type: z.literal('group'),
    ref,
    clientMsgId: clientMsgIdSchema,
    conversationId: conversationIdSchema.optional(),
    change: groupChangeRequestSchema,
  })
  .strict()
  .superRefine((frame, ctx) => {
    // Runs even when `change` itself was refused (then it may be anything).
    const op: unknown = (frame.change as { op?: unknown } | undefined)?.op;
    if (op === undefined) return;
    const creates = op === 'create' || op === 'create-channel';
    if (creates === fieldGiven(ctx, 'conversationId')) {
      ctx.addIssue({
        code: 'custom',
        message:
          'conversationId is required for every op but create and create-channel, and refused with them',
        path: ['conversationId'],
      });
    }
  });

/**
 * This device is in the foreground (the user has the app open in front) or the background. A
 * socket starts in the background; the user is online while any device is in the foreground.
 * `active`: the user did it (opened the app, brought it to the front): their last seen moves
 * too. A client restating its state after a reconnect leaves it out (the app's doing); a change
 * from background to foreground on the same socket counts as the user's either way.
 */
export const presenceStateFrameSchema = z
  .object({
    type: z.literal('presence.state'),
    ref,
    state: z.enum(['foreground', 'background']),
    active: z.boolean().optional(),
  })
  .strict();

/**
 * The user did something the server does not otherwise see (opened a conversation, opened the
 * app): moves their last seen. Sends, reads and typing count by themselves. Coalesced by the
 * server: at most one move per user per few seconds.
 */
export const presenceActivityFrameSchema = z
  .object({ type: z.literal('presence.activity'), ref })
  .strict();

/**
 * Watch these users' presence (replaces the socket's list; `[]` stops watching). Answered with a
 * `presence` frame holding each one's presence as this user may see it (a snapshot), then a
 * `presence` frame whenever one of them changes, while the socket is open.
 */
export const presenceWatchFrameSchema = z
  .object({
    type: z.literal('presence.watch'),
    ref,
    userIds: z.array(userIdSchema).max(PRESENCE_WATCH_MAX),
  })
  .strict();

/**
 * The user is typing in this conversation: shown to the other members' online devices for a few
 * seconds (TYPING_TTL_MS). Send it at most every TYPING_MIN_INTERVAL_MS while typing; the server
 * drops extras. Never stored. Not in channels.
 */
export const typingFrameSchema = z
  .object({ type: z.literal('typing'), ref, conversationId: conversationIdSchema })
  .strict();

/** Every client frame type, with its schema: the one list gateway, clients and docs use. */
export const CLIENT_FRAME_SCHEMAS = {
  send: sendFrameSchema,
  sync: syncFrameSchema,
  'sync.states': syncStatesFrameSchema,
  delivered: deliveredFrameSchema,
  read: readFrameSchema,
  history: historyFrameSchema,
  auth: authFrameSchema,
  group: groupFrameSchema,
  'presence.state': presenceStateFrameSchema,
  'presence.activity': presenceActivityFrameSchema,
  'presence.watch': presenceWatchFrameSchema,
  typing: typingFrameSchema,
} as const;
export type ClientFrameType = keyof typeof CLIENT_FRAME_SCHEMAS;
export const CLIENT_FRAME_TYPES = Object.keys(CLIENT_FRAME_SCHEMAS) as ClientFrameType[];

export const clientFrameSchema = z.union([
  sendFrameSchema,
  syncFrameSchema,
  syncStatesFrameSchema,
  deliveredFrameSchema,
  readFrameSchema,
  historyFrameSchema,
  authFrameSchema,
  groupFrameSchema,
  presenceStateFrameSchema,
  presenceActivityFrameSchema,
  presenceWatchFrameSchema,
  typingFrameSchema,
]);
export type SendFrame = z.output<typeof sendFrameSchema>;
export type SyncFrame = z.output<typeof syncFrameSchema>;
export type SyncStatesFrame = z.output<typeof syncStatesFrameSchema>;
export type DeliveredFrame = z.output<typeof deliveredFrameSchema>;
export type ReadFrame = z.output<typeof readFrameSchema>;
export type HistoryFrame = z.output<typeof historyFrameSchema>;
export type AuthFrame = z.output<typeof authFrameSchema>;
export type GroupFrame = z.output<typeof groupFrameSchema>;
export type PresenceStateFrame = z.output<typeof presenceStateFrameSchema>;
export type PresenceWatchFrame = z.output<typeof presenceWatchFrameSchema>;
export type TypingFrame = z.output<typeof typingFrameSchema>;
export type ClientFrame = z.output<typeof clientFrameSchema>;
