import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeJsonFile } from './json-file';

export const credentialsSchema = z.object({
  server: z.string().url(),
  username: z.string(),
  userId: z.string(),
  accessToken: z.string(),
  refreshToken: z.string(),
  /** Epoch ms when the access token expires (advisory: a 401 triggers a refresh anyway). */
  accessExpiresAt: z.number().optional(),
});
export type Credentials = z.output<typeof credentialsSchema>;

const deviceSchema = z.object({ deviceId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });

/** The CLI's files in one config directory: credentials.json, device.json (outbox.json: OutboxStore). */
export class ConfigStore {
  constructor(readonly dir: string) {}

  get credentialsPath(): string {
    return join(this.dir, 'credentials.json');
  }

  get outboxPath(): string {
    return join(this.dir, 'outbox.json');
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
