import { isoTimeSchema } from './iso-time';

describe('isoTimeSchema', () => {
  it('accepts what Date#toISOString writes and numeric offsets', () => {
    expect(isoTimeSchema.safeParse(new Date().toISOString()).success).toBe(true);
    expect(isoTimeSchema.safeParse('2026-11-21T08:15:51+01:00').success).toBe(true);
    expect(isoTimeSchema.safeParse('2026-11-21T08:15:51.123456Z').success).toBe(true);
  });

  it('refuses times without an offset, impossible dates and other strings', () => {
    for (const bad of [
      '2026-11-21T08:15:51',
      '2026-13-45T08:15:51Z',
      'yesterday',
      '',
      '1795249433083',
    ]) {
      expect(isoTimeSchema.safeParse(bad).success).toBe(false);
    }
  });
});
