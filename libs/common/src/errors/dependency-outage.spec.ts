import { isDependencyOutage } from './dependency-outage';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('isDependencyOutage', () => {
  it('recognises pool exhaustion, refused and dropped connections', () => {
    expect(isDependencyOutage(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(
      isDependencyOutage(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')),
    ).toBe(true);
    expect(isDependencyOutage(withCode('terminating connection', '57P01'))).toBe(true);
    expect(isDependencyOutage(withCode('connection failure', '08006'))).toBe(true);
    expect(isDependencyOutage(new Error('Connection is closed.'))).toBe(true);
  });

  it('leaves programming and data errors alone', () => {
    expect(isDependencyOutage(new TypeError('x is undefined'))).toBe(false);
    expect(isDependencyOutage(withCode('duplicate key value', '23505'))).toBe(false);
    expect(isDependencyOutage('timeout exceeded when trying to connect')).toBe(false);
  });
});
