import type { z } from 'zod/v4';

export type Issue = z.core.$ZodIssue;

/**
 * Issues that made zod 3 stop checking a value; after the others (a failed check, an unknown key
 * of a strict object) the value was "dirty": wrong, but of the right shape.
 */
const FATAL: ReadonlySet<string> = new Set([
  'invalid_type',
  'invalid_value',
  'invalid_union',
  'invalid_key',
  'invalid_element',
]);

/** A non-integer where `.int()` wants one is an `invalid_type` to zod 4; to zod 3 a failed check. */
function isFatal(issue: Issue): boolean {
  return FATAL.has(issue.code) && !(issue.code === 'invalid_type' && issue.expected === 'int');
}

/**
 * A zod error's issues as problems to report: each bad field named, once per kind of problem.
 * zod 4.0 (`zod/v4` of zod 3.25) reports some bad inputs differently from zod 3, and these are
 * folded back:
 *
 * - a union none of whose options matched is one `invalid_union` ("Invalid input") on the union,
 *   even when an option failed only its checks (a `sync.states` entry with a negative `lastSeq`
 *   or an unknown field): the first such option's issues are reported, as zod 3 did;
 * - a value of the wrong type still runs the length checks of its schema when it has a `length`
 *   (an array where a string belongs gets "Too small: expected array ..."): only the type
 *   problem is reported;
 * - `.int()` checks the safe-integer range itself, so `seq: 1e21` fails it and `.max()`: one
 *   `too_big` (or `too_small`) per field is reported, the schema's own bound's (the last).
 */
export function reportedIssues(
  issues: readonly Issue[],
  under: readonly PropertyKey[] = [],
): Issue[] {
  const reported: Issue[] = [];
  const wrongType = new Set<string>();
  /** Where the `too_big` / `too_small` of each field is in `reported`. */
  const bounded = new Map<string, number>();
  for (const raw of issues) {
    const issue = under.length > 0 ? { ...raw, path: [...under, ...raw.path] } : raw;
    const at = issue.path.map(String).join('.');
    if (wrongType.has(at)) continue;
    if (issue.code === 'invalid_union') {
      const dirty = issue.errors.find((option) => option.every((i) => !isFatal(i)));
      if (dirty !== undefined) {
        reported.push(...reportedIssues(dirty, issue.path));
        continue;
      }
    }
    if (issue.code === 'invalid_type') wrongType.add(at);
    if (issue.code === 'too_big' || issue.code === 'too_small') {
      const earlier = bounded.get(`${issue.code} ${at}`);
      if (earlier !== undefined) {
        reported[earlier] = issue;
        continue;
      }
      bounded.set(`${issue.code} ${at}`, reported.length);
    }
    reported.push(issue);
  }
  return reported;
}

/**
 * Whether an object's field was given, as a refinement of the whole object (`.superRefine`) sees
 * it: zod 4 leaves a field that failed its own checks out of the value the refinement gets (zod 3
 * kept it), but that field's issue is there, so a field sent with a bad value still counts as sent.
 */
export function fieldGiven<T extends object>(ctx: z.core.ParsePayload<T>, key: keyof T): boolean {
  return ctx.value[key] !== undefined || ctx.issues.some((issue) => issue.path?.[0] === key);
}
