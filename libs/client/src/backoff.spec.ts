import { backoffDelay, resumeDelay } from './backoff';

describe('backoffDelay', () => {
  it('retries a dropped connection within a quarter second, then doubles up to the cap', () => {
    const top = () => 0.999999;
    expect(backoffDelay(0, top)).toBe(250);
    expect(backoffDelay(1, top)).toBe(500);
    expect(backoffDelay(3, top)).toBe(2000);
    expect(backoffDelay(10, top)).toBe(15000);
    expect(backoffDelay(1000, top)).toBe(15000);
  });

  it('jitters down to half the ceiling', () => {
    expect(backoffDelay(2, () => 0)).toBe(500);
  });
});

describe('resumeDelay', () => {
  it('spreads the first try with a resume ticket over 0-100 ms', () => {
    expect(resumeDelay(() => 0)).toBe(0);
    expect(resumeDelay(() => 0.999999)).toBe(100);
    expect(resumeDelay(() => 0.5)).toBe(50);
  });
});
