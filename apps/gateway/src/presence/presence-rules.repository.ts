import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { presenceVisibilitySchema, presenceVisible } from '@parley/protocol';
import { DataSource } from 'typeorm';

interface RuleRow {
  id: string;
  target_choice: string;
  target_has_viewer: boolean;
  viewer_choice: string;
  viewer_has_target: boolean;
}

/**
 * Who may see whose presence: both users' choices (`users.presence_visibility`) and whether each
 * has the other as a contact, read in ONE query for a viewer and many targets; the rule itself is
 * `presenceVisible` (reciprocal).
 */
@Injectable()
export class PresenceRulesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The targets `viewerId` may see (unknown users are not in it); one's own is always visible. */
  async visibleTo(viewerId: string, targetIds: readonly string[]): Promise<Set<string>> {
    const visible = new Set<string>();
    if (targetIds.length === 0) return visible;
    const rows = await this.dataSource.query<RuleRow[]>(
      `SELECT t.id, t.presence_visibility AS target_choice,
              EXISTS (SELECT 1 FROM contacts c WHERE c.owner_id = t.id AND c.contact_id = v.id)
                AS target_has_viewer,
              v.presence_visibility AS viewer_choice,
              EXISTS (SELECT 1 FROM contacts c WHERE c.owner_id = v.id AND c.contact_id = t.id)
                AS viewer_has_target
         FROM users v JOIN users t ON t.id = ANY($2::uuid[])
        WHERE v.id = $1`,
      [viewerId, [...targetIds]],
    );
    for (const row of rows) {
      const seen =
        row.id === viewerId ||
        presenceVisible(
          {
            choice: presenceVisibilitySchema.parse(row.viewer_choice),
            hasTargetAsContact: row.viewer_has_target,
          },
          {
            choice: presenceVisibilitySchema.parse(row.target_choice),
            hasViewerAsContact: row.target_has_viewer,
          },
        );
      if (seen) visible.add(row.id);
    }
    return visible;
  }
}
