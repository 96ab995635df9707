/** A lone UTF-16 surrogate (JSON `\ud800` escapes can produce one): not encodable as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a message text is refused, or undefined if it is fine: empty (or only whitespace), longer
 * than `maxLength` Unicode code points, or not representable as UTF-8 / PostgreSQL text (lone
 * surrogates, NUL).
 */
export function messageTextProblem(text: string, maxLength: number): string | undefined {
  if (text.trim().length === 0) return 'must not be empty';
  // Cheap bound first: code points <= UTF-16 units.
  if (text.length > maxLength && [...text].length > maxLength) {
    return `must be at most ${maxLength} characters`;
  }
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode';
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  return undefined;
}
