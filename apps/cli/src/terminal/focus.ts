/**
 * Terminal focus reporting (xterm's mode 1004, which most terminal emulators and tmux with
 * `focus-events` support): once on, the terminal sends `ESC [ I` when its window gains focus and
 * `ESC [ O` when it loses it. A terminal without it ignores the mode and sends nothing; readline
 * ignores both sequences on the input line.
 */
export const FOCUS_REPORTING_ON = '\u001b[?1004h';
export const FOCUS_REPORTING_OFF = '\u001b[?1004l';

/** What a key sequence says of the focus: true (gained), false (lost), undefined (a real key). */
export function focusOf(sequence: string | undefined): boolean | undefined {
  if (sequence === '\u001b[I') return true;
  if (sequence === '\u001b[O') return false;
  return undefined;
}
