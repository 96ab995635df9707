import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { presenceVisibilitySchema, type SettingsBody, type SettingsView } from '@parley/protocol';
import { DataSource } from 'typeorm';

interface SettingsRow {
  read_receipts: boolean;
  presence_visibility: string;
}

function toView(row: SettingsRow | undefined): SettingsView | null {
  if (!row) return null;
  return {
    readReceipts: row.read_receipts,
    presence: presenceVisibilitySchema.parse(row.presence_visibility),
  };
}

/** One's own settings: columns of `users`. */
@Injectable()
export class SettingsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async find(userId: string): Promise<SettingsView | null> {
    const [row] = await this.dataSource.query<SettingsRow[]>(
      'SELECT read_receipts, presence_visibility FROM users WHERE id = $1',
      [userId],
    );
    return toView(row);
  }

  /** Sets the named settings (a field left out keeps its value); answers them all. */
  async change(userId: string, change: SettingsBody): Promise<SettingsView | null> {
    const [row] = await this.dataSource.query<SettingsRow[]>(
      // As a CTE: TypeORM answers a bare UPDATE with [rows, count], a SELECT with its rows.
      `WITH changed AS (
         UPDATE users SET read_receipts = coalesce($2, read_receipts),
                          presence_visibility = coalesce($3, presence_visibility)
          WHERE id = $1 RETURNING read_receipts, presence_visibility)
       SELECT read_receipts, presence_visibility FROM changed`,
      [userId, change.readReceipts ?? null, change.presence ?? null],
    );
    return toView(row);
  }
}
