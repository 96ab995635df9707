import { z } from 'zod/v4';

function isUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * A string `new URL()` accepts, kept exactly as written: what zod 3's `.url()` checked. zod 4's
 * `z.url()` also rewrites the value to the URL's normalized `href` (host lower-cased, characters
 * escaped, ...), which would change configured and published URLs.
 */
export function urlString(message = 'Invalid url'): z.ZodString {
  return z.string().refine(isUrl, message);
}
