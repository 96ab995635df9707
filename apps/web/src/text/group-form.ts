import { groupNameSchema, USERNAME_PATTERN } from '@parley/protocol';

/**
 * Usernames typed in one field, separated by spaces or commas (a leading `@` is allowed): each
 * once (usernames are unique case-insensitively), in the order typed; `invalid` lists the words
 * that cannot be usernames.
 */
export function parseUsernames(text: string): { usernames: string[]; invalid: string[] } {
  const usernames: string[] = [];
  const invalid: string[] = [];
  const seen = new Set<string>();
  for (const word of text.split(/[\s,]+/)) {
    const name = word.replace(/^@/, '');
    if (!name) continue;
    if (!USERNAME_PATTERN.test(name)) invalid.push(word);
    else if (!seen.has(name.toLowerCase())) {
      seen.add(name.toLowerCase());
      usernames.push(name);
    }
  }
  return { usernames, invalid };
}

/** What is wrong with a group name, in words (as the server would refuse it), or undefined. */
export function groupNameProblem(name: string): string | undefined {
  const parsed = groupNameSchema.safeParse(name);
  return parsed.success
    ? undefined
    : `The name ${parsed.error.issues[0]?.message ?? 'is not valid'}.`;
}

/**
 * The usernames of a members field, or what is wrong with it in words (`none` when it named
 * nobody).
 */
export function membersOf(text: string): { usernames: string[] } | { problem: string } {
  const { usernames, invalid } = parseUsernames(text);
  if (invalid.length > 0)
    return { problem: `Not a username: ${invalid.join(', ')} (3-32 letters, digits or _).` };
  if (usernames.length === 0) return { problem: 'Name at least one member by username.' };
  return { usernames };
}
