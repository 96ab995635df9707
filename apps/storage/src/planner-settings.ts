/**
 * Planner settings for storage's PostgreSQL connections. Its statements read the rows of a batch
 * by key, from arrays whose length no plan sees (`unnestParams`), so their kept generic plans are
 * costed for ten keys. With the default random_page_cost (4, for spinning disks) ten index probes
 * cost more than a whole scan of a table of a couple of thousand conversations, and a plan made
 * while the table is that small hashes a scan of it on every batch, for as long as the connection
 * keeps the plan, the scan growing with the table (docs/PERFORMANCE.md, "One kept plan for
 * storage's append"). 1.1 is PostgreSQL's advice for data on SSDs or in memory, where a random
 * read costs about what a sequential one does: ten probes then cost less than a scan of a table
 * of more than about 600 rows.
 */
export const STORAGE_PLANNER_SETTINGS: Readonly<Record<string, string>> = {
  random_page_cost: '1.1',
};
