import { messageImageSchema, urlString } from '@parley/protocol';
import { z } from 'zod/v4';

/** What a logged-in client keeps: where, who, and the session's tokens. */
export const credentialsSchema = z.object({
  server: urlString(),
  username: z.string(),
  userId: z.string(),
  accessToken: z.string(),
  refreshToken: z.string(),
  /** Epoch ms when the access token expires (advisory: a 401 triggers a refresh anyway). */
  accessExpiresAt: z.number().optional(),
});
export type Credentials = z.output<typeof credentialsSchema>;

/**
 * Where credentials live: a 0600 file in Node (the terminal client), IndexedDB or memory in a
 * browser (the refresh token then stays in an HttpOnly cookie). Async, so both fit.
 */
export interface CredentialsStore {
  read(): Promise<Credentials | undefined>;
  write(credentials: Credentials): Promise<void>;
  clear(): Promise<void>;
}

/** A message written but not yet durable on the server (see Outbox). */
export const outboxEntrySchema = z.object({
  clientMsgId: z.string(),
  /** Recipient username, for a 1:1 conversation that may not exist yet. */
  to: z.string().optional(),
  conversationId: z.string().optional(),
  /** The text, or an image's caption ('' for none). */
  text: z.string(),
  /** An image message's image, as its upload answered (sent as `image: { id }`). */
  image: messageImageSchema.optional(),
  /** ISO time the user sent it. */
  createdAt: z.string(),
  /** `accepted`: Kafka holds it (not yet stored). */
  state: z.enum(['pending', 'accepted']),
});
export type OutboxEntry = z.output<typeof outboxEntrySchema>;

/**
 * Where the outbox lives: a file in Node, IndexedDB in a browser. `update` applies a change to
 * what is stored *now* (re-reading first, so two processes or tabs on one store do not drop each
 * other's entries) and returns the result.
 */
export interface OutboxStore {
  update(
    change: (entries: readonly OutboxEntry[]) => readonly OutboxEntry[],
  ): Promise<readonly OutboxEntry[]>;
}

/** Keeps only well-formed entries (a store may hold an older version's or hand-edited data). */
export function parseOutboxEntries(value: unknown): OutboxEntry[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((e) => {
    const parsed = outboxEntrySchema.safeParse(e);
    return parsed.success &&
      (parsed.data.to !== undefined || parsed.data.conversationId !== undefined)
      ? [parsed.data]
      : [];
  });
}

/** In-memory stores: tests, and clients that keep nothing across restarts. */
export class MemoryCredentialsStore implements CredentialsStore {
  constructor(private credentials?: Credentials) {}
  read(): Promise<Credentials | undefined> {
    return Promise.resolve(this.credentials);
  }
  write(credentials: Credentials): Promise<void> {
    this.credentials = credentials;
    return Promise.resolve();
  }
  clear(): Promise<void> {
    this.credentials = undefined;
    return Promise.resolve();
  }
}

export class MemoryOutboxStore implements OutboxStore {
  private entries: readonly OutboxEntry[] = [];
  update(
    change: (entries: readonly OutboxEntry[]) => readonly OutboxEntry[],
  ): Promise<readonly OutboxEntry[]> {
    this.entries = change(this.entries);
    return Promise.resolve(this.entries);
  }
}
