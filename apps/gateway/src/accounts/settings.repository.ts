import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { SettingsBody, SettingsView } from '@parley/protocol';
import { DataSource } from 'typeorm';

/** One's own settings: columns of `users`. */
@Injectable()
export class SettingsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async find(userId: string): Promise<SettingsView | null> {
    const [row] = await this.dataSource.query<{ read_receipts: boolean }[]>(
      'SELECT read_receipts FROM users WHERE id = $1',
      [userId],
    );
    return row ? { readReceipts: row.read_receipts } : null;
  }

  /** Sets the named settings (a field left out keeps its value); answers them all. */
  async change(userId: string, change: SettingsBody): Promise<SettingsView | null> {
    const [row] = await this.dataSource.query<{ read_receipts: boolean }[]>(
      // As a CTE: TypeORM answers a bare UPDATE with [rows, count], a SELECT with its rows.
      `WITH changed AS (
         UPDATE users SET read_receipts = coalesce($2, read_receipts)
          WHERE id = $1 RETURNING read_receipts)
       SELECT read_receipts FROM changed`,
      [userId, change.readReceipts ?? null],
    );
    return row ? { readReceipts: row.read_receipts } : null;
  }
}
