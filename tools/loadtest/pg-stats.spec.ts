import { diffTableWrites, parseTableWrites } from './pg-stats';

describe('user_presence writes from pg_stat_user_tables', () => {
  it('reads the bigints pg answers as strings, and a missing table as zeros', () => {
    expect(parseTableWrites({ inserted: '12', updated: '3400', deleted: null })).toEqual({
      inserted: 12,
      updated: 3400,
      deleted: 0,
    });
    expect(parseTableWrites(undefined)).toEqual({ inserted: 0, updated: 0, deleted: 0 });
  });

  it('diffs two reads, never below zero (statistics reset meanwhile)', () => {
    expect(
      diffTableWrites(
        { inserted: 10, updated: 100, deleted: 0 },
        { inserted: 15, updated: 180, deleted: 1 },
      ),
    ).toEqual({ inserted: 5, updated: 80, deleted: 1, rows: 86 });
    expect(
      diffTableWrites(
        { inserted: 10, updated: 100, deleted: 0 },
        { inserted: 0, updated: 5, deleted: 0 },
      ),
    ).toEqual({ inserted: 0, updated: 0, deleted: 0, rows: 0 });
  });
});
