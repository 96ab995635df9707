import { Injectable } from '@nestjs/common';
import type { SettingsBody, SettingsView } from '@parley/protocol';
import { AccountsException } from './accounts.exception';
import { SettingsRepository } from './settings.repository';

/**
 * One's own settings. They live in `users` and are read where they apply (read receipts: the
 * conversation list, "who read it", storage's receipt fan-out), so a change applies at once,
 * everywhere, with nothing to pass on.
 */
@Injectable()
export class SettingsService {
  constructor(private readonly settings: SettingsRepository) {}

  async of(userId: string): Promise<SettingsView> {
    return (await this.settings.find(userId)) ?? this.gone();
  }

  async change(userId: string, body: SettingsBody): Promise<SettingsView> {
    return (await this.settings.change(userId, body)) ?? this.gone();
  }

  /** A valid token of an account that no longer exists. */
  private gone(): never {
    throw AccountsException.sessionEnded();
  }
}
