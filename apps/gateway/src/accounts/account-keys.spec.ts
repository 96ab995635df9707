import { emailKey, usernameKey } from './account-keys';

describe('uniqueness keys', () => {
  it('fold case', () => {
    expect(usernameKey('Alice_01')).toBe('alice_01');
    expect(emailKey('Alice@Example.ORG')).toBe('alice@example.org');
  });
});
