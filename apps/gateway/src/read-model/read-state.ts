/**
 * SQL: whether `viewer` (a users row, joined) sees the read cursor of member `cm` (its users row
 * `u`): its own always; another's only when both have read receipts on (a user who turned them off
 * shows only delivered, and sees nobody's read state).
 */
export const READ_STATE_SHOWN = `(cm.user_id = viewer.id
  OR (coalesce(u.read_receipts, true) AND coalesce(viewer.read_receipts, true)))`;
