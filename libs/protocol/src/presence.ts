import { z } from 'zod/v4';
import { isoTimeSchema, userIdSchema } from './ids';

/**
 * Presence: whether a user is online (a device connected and in the foreground) and when they
 * were last seen (their last *user* activity: sending, reading, typing, opening a conversation,
 * coming to the foreground; never heartbeats, background sync or reconnects).
 */

/** Who sees one's online state and last seen. Reciprocal: see `presenceVisible`. */
export const PRESENCE_VISIBILITY = ['everyone', 'contacts', 'nobody'] as const;
export const presenceVisibilitySchema = z.enum(PRESENCE_VISIBILITY);
export type PresenceVisibility = z.output<typeof presenceVisibilitySchema>;

/** The most users one socket watches at once (`presence.watch`), and one HTTP read asks for. */
export const PRESENCE_WATCH_MAX = 100;

/** The least time between two `typing` signals of one socket in one conversation (the server drops extras). */
export const TYPING_MIN_INTERVAL_MS = 3_000;

/** How long a `typing` signal shows without a refresh. */
export const TYPING_TTL_MS = 5_000;

/**
 * One user's presence as `viewer` may see it. `online` and `lastSeenAt` are null when it is hidden
 * from the viewer (their choices do not allow it, either way round); `lastSeenAt` is also null
 * for a user never seen.
 */
export const userPresenceSchema = z.object({
  userId: userIdSchema,
  online: z.boolean().nullable(),
  lastSeenAt: isoTimeSchema.nullable(),
});
export type UserPresence = z.output<typeof userPresenceSchema>;

/** Whether `owner`'s choice lets `viewer` see them (`viewerIsContact`: owner has viewer as a contact). */
export function presenceAllows(choice: PresenceVisibility, viewerIsContact: boolean): boolean {
  return choice === 'everyone' || (choice === 'contacts' && viewerIsContact);
}

/**
 * Whether a viewer sees a target's presence: the target's choice allows the viewer AND the
 * viewer's own choice allows the target (someone who hides theirs does not see others').
 */
export function presenceVisible(
  viewer: { choice: PresenceVisibility; hasTargetAsContact: boolean },
  target: { choice: PresenceVisibility; hasViewerAsContact: boolean },
): boolean {
  return (
    presenceAllows(target.choice, target.hasViewerAsContact) &&
    presenceAllows(viewer.choice, viewer.hasTargetAsContact)
  );
}
