import { unsafeTextProblem } from '@parley/common';

/**
 * Why a message text is refused, or undefined if it is fine: empty (or only whitespace), longer
 * than `maxLength` Unicode code points, not representable as UTF-8 / PostgreSQL text (lone
 * surrogates, NUL), or carrying characters that act on how other text is shown (terminal control
 * sequences, bidi overrides; see unsafeTextProblem). Tabs and line breaks are text.
 */
export function messageTextProblem(text: string, maxLength: number): string | undefined {
  if (text.trim().length === 0) return 'must not be empty';
  // Cheap bound first: code points <= UTF-16 units.
  if (text.length > maxLength && [...text].length > maxLength) {
    return `must be at most ${maxLength} characters`;
  }
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  return unsafeTextProblem(text, { multiline: true });
}
