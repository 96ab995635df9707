import { callgrindInstructions, instructionsPerCall } from './callgrind-totals';

describe('callgrindInstructions', () => {
  it('reads Ir from the totals line at the column the events line gives it', () => {
    const out = [
      '# callgrind format',
      'events: Ir Dr',
      'fn=(1) main',
      '16 3 1',
      'totals: 1234 56',
      '',
    ];
    expect(callgrindInstructions(out.join('\n'))).toBe(1234);
    const second = ['events: Dr Ir', 'summary: 56 7890123456', ''];
    expect(callgrindInstructions(second.join('\n'))).toBe(7_890_123_456);
  });

  it('prefers totals to summary', () => {
    expect(callgrindInstructions('events: Ir\nsummary: 10\ntotals: 12\n')).toBe(12);
  });

  it('says so when the file has no Ir or no totals', () => {
    expect(() => callgrindInstructions('events: Dr\ntotals: 5\n')).toThrow('no events line');
    expect(() => callgrindInstructions('events: Ir\nfn=main\n')).toThrow('no totals');
    expect(() => callgrindInstructions('events: Dr Ir\ntotals: 5\n')).toThrow('no totals');
  });
});

describe('instructionsPerCall', () => {
  it('is the measured run less the warm-up run, over the calls', () => {
    expect(instructionsPerCall(1_000_000, 3_000_000, 100)).toBe(20_000);
  });

  it('refuses a measured run that counted less, or no calls', () => {
    expect(() => instructionsPerCall(10, 5, 1)).toThrow('fewer instructions');
    expect(() => instructionsPerCall(1, 5, 0)).toThrow('calls must be positive');
  });
});
