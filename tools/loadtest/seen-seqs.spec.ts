import { SeenSeqs } from './seen-seqs';

describe('SeenSeqs', () => {
  it('tells a duplicate from a first delivery, growing upwards', () => {
    const seen = new SeenSeqs();
    expect(seen.add(100)).toBe(true);
    expect(seen.add(100)).toBe(false);
    for (let seq = 101; seq < 5000; seq++) expect(seen.add(seq)).toBe(true);
    expect(seen.add(4999)).toBe(false);
    expect(seen.has(2500)).toBe(true);
    expect(seen.has(5000)).toBe(false);
    // one bit per seq: 4,900 seqs fit in about a kilobyte
    expect(seen.span).toBeLessThanOrEqual(8192 + 512);
  });

  it('takes a lower seq arriving late without losing the ones it holds', () => {
    const seen = new SeenSeqs();
    for (const seq of [50, 51, 53]) expect(seen.add(seq)).toBe(true);
    expect(seen.add(3)).toBe(true); // below the first seq seen: the bitmap grows downwards
    expect(seen.add(52)).toBe(true);
    for (const seq of [3, 50, 51, 52, 53]) expect(seen.has(seq)).toBe(true);
    for (const seq of [3, 50, 51, 52, 53]) expect(seen.add(seq)).toBe(false);
    expect(seen.has(4)).toBe(false);
    expect(seen.add(0)).toBe(true);
    expect(seen.has(0)).toBe(true);
  });

  it('refuses what is not a seq', () => {
    expect(() => new SeenSeqs().add(-1)).toThrow(RangeError);
    expect(() => new SeenSeqs().add(1.5)).toThrow(RangeError);
  });
});
