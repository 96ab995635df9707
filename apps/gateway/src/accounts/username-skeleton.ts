/**
 * The look-alike key of a username: two usernames with the same skeleton read the same to a
 * person, so only the first one registered may exist. Usernames are [A-Za-z0-9_]; within that
 * alphabet the confusable groups are I / l / 1 / i (a capital I is an l in most fonts), O / 0,
 * "rn" / "m" and "vv" / "w". Case is folded first (uniqueness is case-insensitive anyway).
 *
 * The AddUsernameSkeleton migration computes the same function in SQL for existing rows; the
 * unit test holds the two to the same examples.
 */
export function usernameSkeleton(username: string): string {
  return username
    .toLowerCase()
    .replace(/[01i]/g, (c) => (c === '0' ? 'o' : 'l'))
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w');
}

/** The same function as SQL over a column or parameter (used by the migration's backfill). */
export function usernameSkeletonSql(expression: string): string {
  return `replace(replace(translate(lower(${expression}), '01i', 'oll'), 'rn', 'm'), 'vv', 'w')`;
}
