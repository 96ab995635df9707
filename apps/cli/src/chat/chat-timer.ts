/** What `/timer` does. */
export const TIMER_HELP =
  'disappearing messages: /timer 5m|1h|1d|1w (or <n>s, <n>m…) for what is sent from now on; /timer off';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * `/timer <n><s|m|h|d|w>` -> seconds, `/timer off` -> null, a malformed one -> 'usage';
 * undefined for any other line. Which timers the server offers is its own decision.
 */
export function parseTimerCommand(line: string): number | null | 'usage' | undefined {
  const [name, arg, ...rest] = line.trim().split(/\s+/);
  if (name !== '/timer') return undefined;
  if (arg === undefined || rest.length > 0) return 'usage';
  if (arg === 'off') return null;
  const match = /^(\d{1,6})([smhdw])$/.exec(arg);
  if (!match) return 'usage';
  const seconds = Number(match[1]) * UNITS[match[2]];
  return seconds >= 1 ? seconds : 'usage';
}
