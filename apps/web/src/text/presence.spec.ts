import { presenceLine } from '@parley/client';
import { PRESENCE_CHOICES, seenAt } from './presence';

const at = (h: number, m: number, day = 24) => new Date(2026, 10, day, h, m).toISOString();
const NOW = new Date(2026, 10, 24, 18, 0);

describe('presence in words', () => {
  it('says a last seen time today by the clock, and names an earlier day', () => {
    expect(seenAt(at(9, 5), NOW)).toBe('09:05');
    expect(seenAt(at(23, 59, 23), NOW)).toBe('yesterday 23:59');
    expect(seenAt(at(8, 0, 20), NOW)).toMatch(/20.* 08:00$/);
    const line = presenceLine({ userId: 'u', online: false, lastSeenAt: at(9, 5) }, (iso) =>
      seenAt(iso, NOW),
    );
    expect(line).toBe('last seen 09:05');
  });

  it('offers the three choices, each with what it means', () => {
    expect(PRESENCE_CHOICES.map((c) => [c.value, c.label])).toEqual([
      ['everyone', 'Everyone'],
      ['contacts', 'My contacts'],
      ['nobody', 'Nobody'],
    ]);
    for (const c of PRESENCE_CHOICES) expect(c.hint).toMatch(/online/);
  });
});
