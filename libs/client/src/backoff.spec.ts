import { backoffDelay } from './backoff';

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
