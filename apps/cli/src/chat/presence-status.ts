import { presenceLine, type Typist, typingLine } from '@parley/client';
import type { UserPresence } from '@parley/protocol';
import { formatTime, sanitize } from './message-line';

/**
 * What a chat's header says of the others, or undefined for nothing: who is typing (`bob is
 * typing…`, `alice and bob are typing…`), else, in a 1:1, the peer's presence (`online`, `last
 * seen 09:05`; nothing when it is hidden or never seen). `peer` is undefined in a group, which
 * shows typists only. Usernames come from the server: they are made safe to print.
 */
export function chatStatus(
  typists: readonly Typist[],
  peer: UserPresence | undefined,
  now: Date = new Date(),
): string | undefined {
  const typing = typingLine(typists.map((t) => ({ ...t, username: sanitize(t.username) })));
  if (typing) return typing;
  return presenceLine(peer, (iso) => formatTime(iso, now)) ?? undefined;
}

/**
 * Whether what stands on the input line is a message being typed (worth a `typing` signal): some
 * text that is not a `/command` (a line starting with `/` may still be sent as text, but while
 * it is typed it looks like a command, so the peer is not told).
 */
export function isTypingText(line: string): boolean {
  return line.trim().length > 0 && !line.trimStart().startsWith('/');
}
