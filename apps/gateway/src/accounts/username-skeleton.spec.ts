import { usernameSkeleton } from './username-skeleton';

describe('usernameSkeleton', () => {
  it.each([
    ['alice', 'aIice'],
    ['alice', 'a1ice'],
    ['alice', 'ALICE'],
    ['bob', 'b0b'],
    ['modern', 'rnodern'],
    ['wendy', 'vvendy'],
    ['oli_1', 'OLI_l'],
  ])('%s and %s look alike', (a, b) => {
    expect(usernameSkeleton(a)).toBe(usernameSkeleton(b));
  });

  it.each([
    ['alice', 'alicia'],
    ['bob', 'bobby'],
    ['al_ice', 'alice'],
    ['user_1', 'user_2'],
  ])('%s and %s do not', (a, b) => {
    expect(usernameSkeleton(a)).not.toBe(usernameSkeleton(b));
  });
});
