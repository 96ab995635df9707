import { z } from 'zod/v4';
import {
  conversationIdSchema,
  isoTimeSchema,
  seqSchema,
  USERNAME_PATTERN,
  userIdSchema,
} from '../ids';
import { historyVisibilitySchema, memberRoleSchema, timerSecondsSchema } from '../group';
import { deliveredMessageSchema } from '../message';

/** `/v1/conversations/:id/...` */
export const conversationParamsSchema = z.object({ id: conversationIdSchema }).strict();
export type ConversationParams = z.output<typeof conversationParamsSchema>;

/** `POST /v1/conversations`: find-or-create the 1:1 conversation with a user. */
export const createConversationBodySchema = z
  .object({ with: z.string().regex(USERNAME_PATTERN, 'must be a username') })
  .strict();
export type CreateConversationBody = z.output<typeof createConversationBodySchema>;

/** `GET /v1/conversations/:id/messages`: `limit` above the cap (100) is clamped, not refused. */
export const historyQuerySchema = z
  .object({
    beforeSeq: z.coerce.number().pipe(seqSchema).optional(),
    limit: z.coerce.number().int().positive().optional(),
  })
  .strict();
export type HistoryQuery = z.output<typeof historyQuerySchema>;

/** `POST /v1/conversations/:id/read` */
export const readCursorBodySchema = z.object({ seq: seqSchema }).strict();
export type ReadCursorBody = z.output<typeof readCursorBodySchema>;

/** A conversation as one member sees it in the list. */
export const conversationViewSchema = z.object({
  id: conversationIdSchema,
  /** `direct` (1:1), `group` or `channel`. */
  kind: z.string(),
  /** A group's or channel's name; null for a 1:1 conversation. */
  title: z.string().nullable(),
  /** A channel anyone may find and join (GET /v1/channels); false for everything else. */
  public: z.boolean(),
  /** How many current members it has (a channel's members are not listed: see `members`). */
  memberCount: z.number().int().nonnegative(),
  /** A group's setting: what members added later read (see HistoryVisibility); null for 1:1. */
  history: historyVisibilitySchema.nullable(),
  /** Disappearing messages: the timer in seconds; null or absent when messages stay. */
  timer: timerSecondsSchema.optional(),
  /**
   * False once the viewer left or was removed: the conversation stays in the list, read-only, up
   * to the event that ended the membership.
   */
  active: z.boolean(),
  /**
   * The current members, in joining order, with each one's role and receipt cursors (see
   * MemberReceipt: the marks of one's own messages). For a channel only its admins (who post),
   * whatever its size: a channel has no read receipts.
   */
  members: z.array(
    z.object({
      id: userIdSchema,
      username: z.string(),
      role: memberRoleSchema,
      deliveredSeq: z.number().int().nonnegative(),
      readSeq: z.number().int().nonnegative(),
    }),
  ),
  lastMessage: deliveredMessageSchema.nullable(),
  /** The first seq the viewer may read: 1, or the event that added it to a `joined` group. */
  fromSeq: z.number().int().positive(),
  lastSeq: z.number().int().nonnegative(),
  readSeq: z.number().int().nonnegative(),
  unread: z.number().int().nonnegative(),
});
export type ConversationView = z.output<typeof conversationViewSchema>;

export const conversationsAnswerSchema = z.object({
  conversations: z.array(conversationViewSchema),
});
export type ConversationsAnswer = z.output<typeof conversationsAnswerSchema>;

export const conversationAnswerSchema = z.object({ conversation: conversationViewSchema });
export type ConversationAnswer = z.output<typeof conversationAnswerSchema>;

/** A page of history, ascending seq; `hasMore` when older messages exist. */
export const historyPageSchema = z.object({
  conversationId: conversationIdSchema,
  messages: z.array(deliveredMessageSchema),
  hasMore: z.boolean(),
});
export type HistoryPage = z.output<typeof historyPageSchema>;

/** `/v1/conversations/:id/messages/:seq/...` */
export const messageParamsSchema = z
  .object({ id: conversationIdSchema, seq: z.coerce.number().pipe(seqSchema) })
  .strict();
export type MessageParams = z.output<typeof messageParamsSchema>;

/**
 * `GET /v1/conversations/:id/messages/:seq/receipts`: who has received and read one of your own
 * messages, and when. Every current member who could read it (not you; not one added after it to
 * a group that shows the history from joining), in joining order. `deliveredAt` / `readAt`: when
 * the member's cursor first reached the message (null while it has not, and for cursor moves made
 * before the server kept their times). Derived from the cursors' moves, never stored per message.
 */
export const messageReceiptsAnswerSchema = z.object({
  conversationId: conversationIdSchema,
  seq: seqSchema,
  members: z.array(
    z.object({
      id: userIdSchema,
      username: z.string(),
      delivered: z.boolean(),
      deliveredAt: isoTimeSchema.nullable(),
      read: z.boolean(),
      readAt: isoTimeSchema.nullable(),
    }),
  ),
});
export type MessageReceiptsAnswer = z.output<typeof messageReceiptsAnswerSchema>;

/** `GET /v1/channels`: public channels, the most members first; `q` filters by name. */
export const channelsQuerySchema = z.object({ q: z.string().trim().max(64).optional() }).strict();
export type ChannelsQuery = z.output<typeof channelsQuerySchema>;

/** At most this many channels per answer (narrow with `q`). */
export const CHANNEL_LIST_LIMIT = 50;

export const channelsAnswerSchema = z.object({
  channels: z.array(
    z.object({
      id: conversationIdSchema,
      name: z.string(),
      memberCount: z.number().int().nonnegative(),
      /** The asking user is a member. */
      joined: z.boolean(),
    }),
  ),
});
export type ChannelsAnswer = z.output<typeof channelsAnswerSchema>;
