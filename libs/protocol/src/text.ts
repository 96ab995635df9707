/**
 * Characters no user-visible string may carry, because they change how OTHER text is shown rather
 * than being text themselves: terminal escape sequences start with control characters (ESC, CSI),
 * and bidi embeddings, overrides and isolates reorder what surrounds them ("Trojan Source").
 *
 * - C0 controls U+0000-U+001F and DEL U+007F (tab and line breaks only where `multiline`),
 * - C1 controls U+0080-U+009F (CSI is U+009B),
 * - bidi embeddings/overrides U+202A-U+202E and isolates U+2066-U+2069,
 * - in names also the invisible ones: zero-width space U+200B, word joiner U+2060, BOM U+FEFF,
 *   soft hyphen U+00AD and the invisible operators U+2061-U+2064. The zero-width (non-)joiners
 *   U+200C/U+200D and the direction marks U+200E/U+200F stay allowed: scripts such as Persian
 *   and emoji sequences need them, and they cannot reorder surrounding text.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const LINE_BREAK_OR_TAB = /[\t\n\r]/;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
const INVISIBLE = /[\u00AD\u200B\u2060-\u2064\uFEFF]/;
/** A lone UTF-16 surrogate (JSON `\ud800` escapes can produce one): not encodable as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface TextRules {
  /** Message bodies may hold tabs and line breaks; names may not. */
  multiline: boolean;
}

/** Why `text` is refused as user-visible text, or undefined when it is fine. */
export function unsafeTextProblem(text: string, rules: TextRules): string | undefined {
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode';
  if (CONTROL.test(text)) return 'must not contain control characters';
  if (!rules.multiline && LINE_BREAK_OR_TAB.test(text)) {
    return 'must not contain tabs or line breaks';
  }
  if (BIDI_CONTROL.test(text)) return 'must not contain bidi override or isolate characters';
  if (!rules.multiline && INVISIBLE.test(text)) return 'must not contain invisible characters';
  return undefined;
}

const DISPLAY_UNSAFE = new RegExp(
  `${CONTROL.source}|${BIDI_CONTROL.source}|${INVISIBLE.source}|${LONE_SURROGATE.source}`,
  'g',
);

/**
 * For clients printing what a server sent (defence in depth: the server already refuses these):
 * every control, bidi and invisible character becomes U+FFFD, so nothing received can move the
 * cursor, recolour the terminal or reorder the line. Line breaks and tabs become spaces unless
 * `multiline`.
 */
export function displaySafe(text: string, multiline = false): string {
  const cleaned = text.replace(DISPLAY_UNSAFE, '\uFFFD');
  return multiline ? cleaned : cleaned.replace(/[\t\n\r]/g, ' ');
}

/**
 * Why a message text is refused, or undefined if it is fine: empty (or only whitespace; an image's
 * caption, `caption: true`, may be exactly ''), longer
 * than `maxLength` Unicode code points, not representable as UTF-8 / PostgreSQL text (lone
 * surrogates, NUL), or carrying characters that act on how other text is shown (terminal control
 * sequences, bidi overrides; see unsafeTextProblem). Tabs and line breaks are text. The gateway
 * applies it to every `send`; a client applies it before sending, so it can say so at once.
 */
export function messageTextProblem(
  text: string,
  maxLength: number,
  options: { caption?: boolean } = {},
): string | undefined {
  // An image's caption may be left out (''); a blank one is refused like a blank message.
  if (text === '' && options.caption === true) return undefined;
  if (text.trim().length === 0) return 'must not be empty';
  // Cheap bound first: code points <= UTF-16 units.
  if (text.length > maxLength && [...text].length > maxLength) {
    return `must be at most ${maxLength} characters`;
  }
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  return unsafeTextProblem(text, { multiline: true });
}
