import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { presenceVisibilitySchema, presenceVisible } from '@parley/protocol';
import { DataSource } from 'typeorm';

interface RuleRow {
  viewer_id: string;
  id: string;
  target_choice: string;
  target_has_viewer: boolean;
  viewer_choice: string;
  viewer_has_target: boolean;
}

/**
 * Who may see whose presence: both users' choices (`users.presence_visibility`) and whether each
 * has the other as a contact, read in ONE query for one or many viewers and their targets; the
 * rule itself is `presenceVisible` (reciprocal).
 */
@Injectable()
export class PresenceRulesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The targets `viewerId` may see (unknown users are not in it); one's own is always visible. */
  async visibleTo(viewerId: string, targetIds: readonly string[]): Promise<Set<string>> {
    const visible = await this.visibleAmong(new Map([[viewerId, targetIds]]));
    return visible.get(viewerId) ?? new Set();
  }

  /**
   * For many viewers at once (viewer -> the targets asked about), in ONE query: the targets each
   * viewer may see. A viewer with nothing visible, or unknown, may be absent from the answer.
   */
  async visibleAmong(
    asked: ReadonlyMap<string, Iterable<string>>,
  ): Promise<Map<string, Set<string>>> {
    const viewers: string[] = [];
    const targets: string[] = [];
    for (const [viewerId, targetIds] of asked) {
      for (const targetId of targetIds) {
        viewers.push(viewerId);
        targets.push(targetId);
      }
    }
    const visible = new Map<string, Set<string>>();
    if (viewers.length === 0) return visible;
    const rows = await this.dataSource.query<RuleRow[]>(
      `SELECT v.id AS viewer_id, t.id, t.presence_visibility AS target_choice,
              EXISTS (SELECT 1 FROM contacts c WHERE c.owner_id = t.id AND c.contact_id = v.id)
                AS target_has_viewer,
              v.presence_visibility AS viewer_choice,
              EXISTS (SELECT 1 FROM contacts c WHERE c.owner_id = v.id AND c.contact_id = t.id)
                AS viewer_has_target
         FROM unnest($1::uuid[], $2::uuid[]) AS asked(viewer_id, target_id)
         JOIN users v ON v.id = asked.viewer_id
         JOIN users t ON t.id = asked.target_id`,
      [viewers, targets],
    );
    for (const row of rows) {
      const seen =
        row.id === row.viewer_id ||
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
      if (!seen) continue;
      let set = visible.get(row.viewer_id);
      if (!set) visible.set(row.viewer_id, (set = new Set()));
      set.add(row.id);
    }
    return visible;
  }
}
