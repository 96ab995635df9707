import { Injectable } from '@nestjs/common';
import type { SettingsBody, SettingsView } from '@parley/protocol';
import { AccountsException } from './accounts.exception';
import { ConnectionControlPublisher } from '../connections/connection-control.publisher';
import { SettingsRepository } from './settings.repository';

/**
 * One's own settings. They live in `users` and are read where they apply (read receipts: the
 * conversation list, "who read it", storage's receipt fan-out), so a change applies at once,
 * everywhere, with nothing to pass on.
 */
@Injectable()
export class SettingsService {
  constructor(
    private readonly settings: SettingsRepository,
    private readonly control: ConnectionControlPublisher,
  ) {}

  async of(userId: string): Promise<SettingsView> {
    return (await this.settings.find(userId)) ?? this.gone();
  }

  /** A presence choice change is told to every gateway: watches of and by the user are checked again. */
  async change(userId: string, body: SettingsBody): Promise<SettingsView> {
    const view = (await this.settings.change(userId, body)) ?? this.gone();
    if (body.presence !== undefined) await this.control.presenceRulesChanged([userId]);
    return view;
  }

  /** A valid token of an account that no longer exists. */
  private gone(): never {
    throw AccountsException.sessionEnded();
  }
}
