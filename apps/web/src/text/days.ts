/** A day separator ("Today", "Yesterday", or the date) before the first message of each day. */
export function dayLabel(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const day = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const diff = Math.round((day(now) - day(date)) / 86_400_000);
  if (diff === 0) return 'Today';
  if (diff === 1) return 'Yesterday';
  return date.toLocaleDateString(undefined, {
    weekday: diff < 7 ? 'long' : undefined,
    year: date.getFullYear() === now.getFullYear() ? undefined : 'numeric',
    month: 'long',
    day: 'numeric',
  });
}

/** Which items start a new day (by local date): their index gets a separator. */
export function dayStarts(times: readonly string[]): Set<number> {
  const starts = new Set<number>();
  let previous = '';
  times.forEach((iso, i) => {
    const d = new Date(iso);
    const key = Number.isNaN(d.getTime()) ? '' : d.toDateString();
    if (key !== previous) starts.add(i);
    previous = key;
  });
  return starts;
}

/** HH:MM, local time. */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
