import type { PresenceVisibility } from '@parley/protocol';
import { clockTime, dayLabel } from './days';

/** A last seen time after "last seen": "10:02" today, "yesterday 10:02", "Monday, 23 November 10:02". */
export function seenAt(iso: string, now: Date = new Date()): string {
  const day = dayLabel(iso, now);
  if (day === 'Today') return clockTime(iso);
  return `${day === 'Yesterday' ? 'yesterday' : day} ${clockTime(iso)}`;
}

/** The settings panel's choices of who sees one's online state and last seen, in words. */
export const PRESENCE_CHOICES: readonly {
  value: PresenceVisibility;
  label: string;
  hint: string;
}[] = [
  {
    value: 'everyone',
    label: 'Everyone',
    hint: 'Everyone sees when you are online and when you were last seen.',
  },
  {
    value: 'contacts',
    label: 'My contacts',
    hint: 'Only your contacts see when you are online and when you were last seen, and you see only theirs.',
  },
  {
    value: 'nobody',
    label: 'Nobody',
    hint: 'Nobody sees when you are online or when you were last seen, and you see nobody’s.',
  },
];
