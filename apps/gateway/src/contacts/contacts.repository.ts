import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import type { Contact } from '@parley/protocol';

/** A contact as the API returns it. */
export type ContactRow = Contact;

/** The `contacts` table (gateway migration CreateContacts). */
@Injectable()
export class ContactsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(ownerId: string): Promise<ContactRow[]> {
    const rows = await this.dataSource.query<
      { id: string; username: string; real_name: string; created_at: Date }[]
    >(
      `SELECT u.id, u.username, u.real_name, c.created_at
         FROM contacts c JOIN users u ON u.id = c.contact_id
        WHERE c.owner_id = $1 ORDER BY u.username_key`,
      [ownerId],
    );
    return rows.map((r) => ({
      id: r.id,
      username: r.username,
      realName: r.real_name,
      addedAt: r.created_at.toISOString(),
    }));
  }

  /** True if the contact was added now, false if it was already there. */
  async add(ownerId: string, contactId: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `INSERT INTO contacts (owner_id, contact_id) VALUES ($1, $2)
       ON CONFLICT DO NOTHING RETURNING owner_id`,
      [ownerId, contactId],
    );
    return rows.length > 0;
  }

  async remove(ownerId: string, contactId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM contacts WHERE owner_id = $1 AND contact_id = $2`, [
      ownerId,
      contactId,
    ]);
  }
}
