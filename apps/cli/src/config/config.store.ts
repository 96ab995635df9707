import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Credentials, credentialsSchema, type CredentialsStore } from '@parley/client';
import { z } from 'zod/v4';
import { readJsonFile, writeJsonFile } from './json-file';

export type { Credentials };

const deviceSchema = z.object({ deviceId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });

/**
 * The CLI's files in one config directory: credentials.json, device.json, outbox.json (the
 * OutboxStore), states-<userId>.json (the ConversationStateStore: one per user, so another log-in
 * on the same directory never inherits them).
 */
export class ConfigStore {
  constructor(readonly dir: string) {}

  get credentialsPath(): string {
    return join(this.dir, 'credentials.json');
  }

  get outboxPath(): string {
    return join(this.dir, 'outbox.json');
  }

  statesPath(userId: string): string {
    return join(this.dir, `states-${userId}.json`);
  }

  /** Log-out: this user's conversation states leave the machine with the tokens. */
  clearStates(userId: string): void {
    rmSync(this.statesPath(userId), { force: true });
  }

  readCredentials(): Credentials | undefined {
    const parsed = credentialsSchema.safeParse(readJsonFile(this.credentialsPath));
    return parsed.success ? parsed.data : undefined;
  }

  writeCredentials(credentials: Credentials): void {
    writeJsonFile(this.credentialsPath, credentials);
  }

  clearCredentials(): void {
    rmSync(this.credentialsPath, { force: true });
  }

  /** credentials.json as the client library's CredentialsStore. */
  credentialsStore(): CredentialsStore {
    return {
      read: () => Promise.resolve(this.readCredentials()),
      write: (credentials) => Promise.resolve(this.writeCredentials(credentials)),
      clear: () => Promise.resolve(this.clearCredentials()),
    };
  }

  /** A stable device id for this config directory, made on first use. */
  deviceId(): string {
    const path = join(this.dir, 'device.json');
    const parsed = deviceSchema.safeParse(readJsonFile(path));
    if (parsed.success) return parsed.data.deviceId;
    const deviceId = `cli-${randomUUID().replace(/-/g, '')}`;
    writeJsonFile(path, { deviceId });
    return deviceId;
  }
}
