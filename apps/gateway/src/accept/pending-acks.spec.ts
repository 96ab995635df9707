import { AppException } from '@parley/common';
import { ErrorCode } from '@parley/protocol';
import { PendingAcks } from './pending-acks';

function limits(total: number, perConnection: number): PendingAcks {
  return new PendingAcks({
    GATEWAY_MAX_UNACKED_SENDS: total,
    GATEWAY_MAX_UNACKED_PER_CONNECTION: perConnection,
  });
}

function overloadedCode(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AppException ? err.code : 'other';
  }
}

describe('PendingAcks', () => {
  it('refuses with overloaded past the gateway bound, and admits again once acks release', () => {
    const sends = limits(2, 10);
    sends.admit('c1', 'm1');
    sends.admit('c2', 'm2');
    expect(overloadedCode(() => sends.admit('c3', 'm3'))).toBe(ErrorCode.Overloaded);
    sends.release('c1', 'm1');
    expect(overloadedCode(() => sends.admit('c3', 'm3'))).toBeUndefined();
    expect(sends.count).toBe(2);
  });

  it('bounds one connection, and counts a resend of an in-flight id once', () => {
    const sends = limits(100, 2);
    sends.admit('c1', 'm1');
    sends.admit('c1', 'm1');
    sends.admit('c1', 'm2');
    expect(sends.count).toBe(2);
    expect(overloadedCode(() => sends.admit('c1', 'm3'))).toBe(ErrorCode.Overloaded);
    expect(overloadedCode(() => sends.admit('c2', 'm3'))).toBeUndefined();
  });

  it('releases a closed connection and forgets entries whose ack never came', () => {
    const sends = limits(100, 100);
    sends.admit('c1', 'm1', 1_000);
    sends.admit('c1', 'm2', 1_000);
    sends.admit('c2', 'm3', 5_000);
    sends.releaseConnection('c1');
    expect(sends.count).toBe(1);
    sends.forgetOlderThan(6_000);
    expect(sends.count).toBe(0);
    sends.release('c2', 'm3'); // already forgotten: no double count
    expect(sends.count).toBe(0);
  });
});
