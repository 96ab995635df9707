import { coolDownMs, MIN_COOL_DOWN_MS, TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('allows a burst, then the sustained rate', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(bucket.msUntilToken(0)).toBe(100);
    expect(bucket.take(99)).toBe(false);
    expect(bucket.take(100)).toBe(true);
    expect(bucket.take(150)).toBe(false);
  });

  it('never holds more than the burst, however long it was idle', () => {
    const bucket = new TokenBucket(10, 2, 0);
    expect(bucket.take(1_000_000)).toBe(true);
    expect(bucket.take(1_000_000)).toBe(true);
    expect(bucket.take(1_000_000)).toBe(false);
  });

  it('takes a token back when the action was refused further on', () => {
    const bucket = new TokenBucket(1, 1, 0);
    expect(bucket.take(0)).toBe(true);
    bucket.giveBack();
    expect(bucket.take(0)).toBe(true);
    bucket.giveBack();
    bucket.giveBack();
    expect(bucket.take(0)).toBe(true);
    expect(bucket.take(0)).toBe(false);
  });

  it('ignores a clock going backwards', () => {
    const bucket = new TokenBucket(10, 1, 1000);
    expect(bucket.take(1000)).toBe(true);
    expect(bucket.take(500)).toBe(false);
  });
});

describe('coolDownMs', () => {
  it('is at least a second, longer when the next token is further away', () => {
    expect(coolDownMs(0)).toBe(MIN_COOL_DOWN_MS);
    expect(coolDownMs(50)).toBe(MIN_COOL_DOWN_MS);
    expect(coolDownMs(2500)).toBe(2500);
  });
});
