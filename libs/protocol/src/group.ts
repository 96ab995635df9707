import { z } from 'zod/v4';
import { USERNAME_PATTERN, userIdSchema, usernameSchema } from './ids';
import { unsafeTextProblem } from './text';

/**
 * Groups: conversations of up to GROUP_MAX_MEMBERS members (the server's configured limit may be
 * lower) whose membership changes are EVENTS in the conversation itself. A change takes the next
 * seq like a message, so every member sees joins, leaves, removals and renames in the same order
 * as the messages around them: live, in history and in sync. The client asks for a change with a
 * `group` frame (client-frames.ts); storage decides it in the conversation's order and stores the
 * outcome as a message carrying `event` (ConversationEvent).
 */

/** The protocol's ceiling on a group's members (the server's GROUP_MAX_MEMBERS may be lower). */
export const GROUP_MAX_MEMBERS = 1024;
/** A group name: 1-64 characters, one line, nothing that changes how other text is shown. */
export const GROUP_NAME_MAX_LENGTH = 64;

export const groupNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(GROUP_NAME_MAX_LENGTH, `must be at most ${GROUP_NAME_MAX_LENGTH} characters`)
  .superRefine((name, ctx) => {
    const problem = unsafeTextProblem(name, { multiline: false });
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** Usernames a change names (as the client typed them; the gateway resolves them to users). */
const usernamesSchema = z
  .array(z.string().regex(USERNAME_PATTERN, 'must be a username'))
  .min(1)
  .max(GROUP_MAX_MEMBERS);

/**
 * What a member added later may read: `joined`, from the event that added them (the default, as
 * messengers do); `all`, the whole history. Set at creation and by admins; it applies to members
 * added from then on (a member's first readable seq is fixed when it joins). The creator and the
 * members it creates the group with read everything either way.
 */
export const historyVisibilitySchema = z.enum(['joined', 'all']);
export type HistoryVisibility = z.output<typeof historyVisibilitySchema>;
export const DEFAULT_HISTORY_VISIBILITY: HistoryVisibility = 'joined';

/**
 * Disappearing messages: a conversation's timer, in seconds (null: messages stay). A message's
 * expiry is fixed when it is stored (server time + the timer in force then). The server offers
 * DISAPPEARING_TIMERS_S unless configured otherwise.
 */
export const timerSecondsSchema = z
  .number()
  .int()
  .min(1)
  .max(365 * 24 * 3600)
  .nullable();
export const DISAPPEARING_TIMERS_S: readonly number[] = [300, 3600, 86_400, 604_800];

/** A timer in words: "5 minutes", "1 hour", "1 day", "1 week", "90 seconds". */
export function describeTimer(seconds: number): string {
  const units: [number, string][] = [
    [604_800, 'week'],
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  const [size, unit] = units.find(([size]) => seconds % size === 0) ?? [1, 'second'];
  const n = seconds / size;
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/**
 * Broadcast channels: conversations of kind `channel` where only admins post and members read,
 * with no member limit. A public channel is listed (`GET /v1/channels`) and anyone may `join` it;
 * a private one only admins `add` to. Joining, leaving, adding and removing are SILENT in a
 * channel: no event, no seq (a channel of 10,000 members is not a log of who came and went), and
 * the change's `ack` carries the channel's last seq when it took effect. Renames, promotions and
 * demotions are events like a group's. A channel shows its whole history to every member, has
 * no read receipts, and never loses its last admin (the last admin cannot leave or be demoted).
 */
export const CHANNEL_KIND = 'channel';
export const GROUP_KIND = 'group';

/**
 * The server's announcements channel: every user is a member from registration and cannot leave
 * it; its admins are the operators the server's configuration names (storage's
 * ANNOUNCEMENTS_ADMINS), and only they post.
 */
export const ANNOUNCEMENTS_CHANNEL_ID = '0000000000000-00000000000000000000000000000001';

/** A member's role: admins add, remove, rename and promote (and post, in a channel); members chat. */
export const memberRoleSchema = z.enum(['admin', 'member']);
export type MemberRole = z.output<typeof memberRoleSchema>;

/**
 * The ops of a group change over a list of named members (usernames in the `group` frame, users
 * once the gateway resolved them, in the Kafka event): one definition for both.
 * `createMembers` may be narrower than `members` (the frame's list leaves the creator out).
 */
export function groupChangeSchemaOf<M extends z.ZodType, C extends z.ZodType>(
  members: M,
  createMembers: C,
) {
  return z.discriminatedUnion('op', [
    z
      .object({
        op: z.literal('create'),
        name: groupNameSchema,
        members: createMembers,
        history: historyVisibilitySchema.optional(),
      })
      .strict(),
    z
      .object({
        op: z.literal('create-channel'),
        name: groupNameSchema,
        public: z.boolean().optional(),
      })
      .strict(),
    z.object({ op: z.literal('join') }).strict(),
    z.object({ op: z.literal('rename'), name: groupNameSchema }).strict(),
    z.object({ op: z.literal('history'), history: historyVisibilitySchema }).strict(),
    z.object({ op: z.literal('add'), members }).strict(),
    z.object({ op: z.literal('remove'), members }).strict(),
    z.object({ op: z.literal('promote'), members }).strict(),
    z.object({ op: z.literal('demote'), members }).strict(),
    z.object({ op: z.literal('leave') }).strict(),
    z.object({ op: z.literal('timer'), seconds: timerSecondsSchema }).strict(),
  ]);
}

/**
 * What a `group` frame asks for. `create` makes a group whose first admin is the sender, with the
 * named users as members (the sender need not name itself) and what members added later read
 * (`history`, default `joined`); `create-channel` makes a broadcast channel (public unless
 * `public: false`) whose only member and admin is the sender; the others act on an existing group
 * or channel. Only admins may `rename`, `history` (groups only), `add`, `remove`, `promote` and
 * `demote`; anyone may `leave`, and `join` a public channel. `timer` sets disappearing messages
 * (seconds, or null for off): in a 1:1 conversation either member, in a group or channel admins.
 */
export const groupChangeRequestSchema = groupChangeSchemaOf(
  usernamesSchema,
  usernamesSchema.max(GROUP_MAX_MEMBERS - 1),
);
export type GroupChangeRequest = z.output<typeof groupChangeRequestSchema>;
export type GroupChangeOp = GroupChangeRequest['op'];

/** A user named in an event: id (stable) and username (to show it, even after they left). */
export const eventUserSchema = z.object({ id: userIdSchema, username: usernameSchema }).strict();
export type EventUser = z.output<typeof eventUserSchema>;

const eventUsers = z.array(eventUserSchema).min(1).max(GROUP_MAX_MEMBERS);

/**
 * A membership event as stored and delivered (DeliveredMessage.event): the message's sender is
 * who made the change. `promoted` on `left`, `removed` and `demoted`: the member made admin
 * because the group had no admin left (the longest-standing member).
 */
export const conversationEventSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('created'),
      name: groupNameSchema,
      members: eventUsers,
      history: historyVisibilitySchema.optional(),
    })
    .strict(),
  z
    .object({ type: z.literal('channel-created'), name: groupNameSchema, public: z.boolean() })
    .strict(),
  z.object({ type: z.literal('renamed'), name: groupNameSchema }).strict(),
  z.object({ type: z.literal('history'), history: historyVisibilitySchema }).strict(),
  z.object({ type: z.literal('added'), members: eventUsers }).strict(),
  z
    .object({
      type: z.literal('removed'),
      members: eventUsers,
      promoted: eventUserSchema.optional(),
    })
    .strict(),
  z.object({ type: z.literal('left'), promoted: eventUserSchema.optional() }).strict(),
  z.object({ type: z.literal('promoted'), members: eventUsers }).strict(),
  z
    .object({
      type: z.literal('demoted'),
      members: eventUsers,
      promoted: eventUserSchema.optional(),
    })
    .strict(),
  z.object({ type: z.literal('timer'), seconds: timerSecondsSchema }).strict(),
]);
export type ConversationEvent = z.output<typeof conversationEventSchema>;

function names(users: readonly EventUser[], max = 5): string {
  const shown = users.slice(0, max).map((u) => u.username);
  const rest = users.length - shown.length;
  if (rest > 0) return `${shown.join(', ')} and ${rest} more`;
  if (shown.length <= 1) return shown.join('');
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

/**
 * The event as one line of text, from the point of view of nobody in particular ("alice added
 * bob"). Storage stores it as the event message's text, so a client that does not know an event
 * type still shows something sensible, and the sync digest covers events like any message.
 */
export function describeEvent(actor: string, event: ConversationEvent): string {
  const succession = (p?: EventUser) => (p ? `; ${p.username} is now an admin` : '');
  switch (event.type) {
    case 'created':
      return `${actor} created the group "${event.name}" with ${names(event.members)}`;
    case 'channel-created':
      return `${actor} created the ${event.public ? 'public' : 'private'} channel "${event.name}"`;
    case 'renamed':
      return `${actor} renamed it to "${event.name}"`;
    case 'history':
      return event.history === 'all'
        ? `${actor} let new members read the whole history`
        : `${actor} let new members read from when they join`;
    case 'added':
      return `${actor} added ${names(event.members)}`;
    case 'removed':
      return `${actor} removed ${names(event.members)}${succession(event.promoted)}`;
    case 'left':
      return `${actor} left${succession(event.promoted)}`;
    case 'promoted':
      return `${actor} made ${names(event.members)} admin`;
    case 'demoted':
      return `${actor} made ${names(event.members)} a member${succession(event.promoted)}`;
    case 'timer':
      return event.seconds === null
        ? `${actor} turned off disappearing messages`
        : `${actor} set messages to disappear after ${describeTimer(event.seconds)}`;
  }
}
