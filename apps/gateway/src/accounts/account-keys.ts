/** The case-insensitive uniqueness key of a username (what `users.username_key` holds). */
export function usernameKey(username: string): string {
  return username.toLowerCase();
}

/** The case-insensitive uniqueness key of an email (`users.email_key`). */
export function emailKey(email: string): string {
  return email.toLowerCase();
}
