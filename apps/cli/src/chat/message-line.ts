import { displaySafe } from '@parley/protocol';
import type { MessageStatus, TimelineItem } from '@parley/client';
import { imageLabel } from './chat-images';

/** Own messages' marks: pending, stored, on a device of every other member, read by all of them. */
export const STATUS_MARKS: Record<MessageStatus, string> = {
  pending: '…',
  sent: '✓',
  delivered: '✓✓',
  read: '✔✔',
  failed: '✗',
};

/**
 * Anything the server sent, made safe to print on one terminal line: control characters (ESC, CR,
 * BEL, C1…), bidi overrides and invisible characters become U+FFFD, so no name or message can
 * drive the terminal or reorder the line; a line break shows as ⏎.
 */
export function sanitize(text: string): string {
  return displaySafe(text.replace(/\r/g, '\ufffd').replace(/\n/g, ' ⏎ '));
}

/** HH:MM in local time; the ISO string itself when it does not parse. */
export function formatTime(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const hm = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  const sameDay = date.toDateString() === now.toDateString();
  return sameDay
    ? hm
    : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${hm}`;
}

/**
 * One message as a line: `12:01 alice: hello ✓` (own messages carry their status mark), an image
 * as `12:01 alice: [image 1280x960, 180 KB] caption`; a
 * membership event as `12:01 * alice added bob`.
 */
export function renderMessageLine(item: TimelineItem, now?: Date): string {
  if (item.event) return `${formatTime(item.time, now)} * ${sanitize(item.text)}`;
  const mark = item.status ? ` ${STATUS_MARKS[item.status]}` : '';
  const error = item.status === 'failed' && item.error ? ` (${sanitize(item.error)})` : '';
  const body = item.image
    ? `${imageLabel(item.image)}${item.text ? ` ${sanitize(item.text)}` : ''}`
    : sanitize(item.text);
  return `${formatTime(item.time, now)} ${sanitize(item.senderUsername)}: ${body}${mark}${error}`;
}

/** Splits a line into rows of at most `width` characters; continuation rows are indented. */
export function wrap(line: string, width: number, indent = 2): string[] {
  const chars = [...line];
  if (width <= indent + 1 || chars.length <= width) return [line];
  const rows = [chars.slice(0, width).join('')];
  for (let i = width; i < chars.length; i += width - indent)
    rows.push(' '.repeat(indent) + chars.slice(i, i + width - indent).join(''));
  return rows;
}

/** Removes ANSI escape sequences (for tests and for width computations). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-Z\\-_]/g, '');
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
