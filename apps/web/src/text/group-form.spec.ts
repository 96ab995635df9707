import { GroupChangeError, ApiError } from '@parley/client';
import { groupNameProblem, membersOf, parseUsernames } from './group-form';
import { describeGroupError, describeInfoError } from './problems';

describe('the group forms', () => {
  it('reads usernames separated by spaces or commas, each once, and names the words that are not', () => {
    expect(parseUsernames(' bob, @carol  dave,Bob ,, x!y ')).toEqual({
      usernames: ['bob', 'carol', 'dave'],
      invalid: ['x!y'],
    });
    expect(membersOf('bob carol')).toEqual({ usernames: ['bob', 'carol'] });
    expect(membersOf('bob a')).toEqual({
      problem: 'Not a username: a (3-32 letters, digits or _).',
    });
    expect(membersOf(' , ')).toEqual({ problem: 'Name at least one member by username.' });
  });

  it('checks a group name as the server does', () => {
    expect(groupNameProblem('Book club')).toBeUndefined();
    expect(groupNameProblem('   ')).toBe('The name must not be empty.');
    expect(groupNameProblem('x'.repeat(65))).toBe('The name must be at most 64 characters.');
  });
});

describe('refusals in words', () => {
  it('says why the server refused a group change', () => {
    expect(describeGroupError(new GroupChangeError('forbidden', 'Only admins can do that'))).toBe(
      'Not allowed: Only admins can do that.',
    );
    expect(
      describeGroupError(
        new GroupChangeError('validation_failed', 'Everyone named is already a member'),
      ),
    ).toBe('Nothing changed: Everyone named is already a member.');
    expect(describeGroupError(new GroupChangeError('not_found', 'No such user'))).toBe(
      'No such user: check the usernames.',
    );
    expect(describeGroupError(new GroupChangeError('unavailable', 'Not connected'))).toBe(
      'Not connected: try again once the connection is back.',
    );
    expect(describeGroupError(new Error('boom'))).toBe('Something went wrong; try again.');
  });

  it('says why the receipts of a message are not shown', () => {
    expect(describeInfoError(new ApiError(403, 'forbidden', 'Not your message'))).toBe(
      'The server refused: Not your message.',
    );
    expect(describeInfoError(new TypeError('fetch failed'))).toBe(
      'The server cannot be reached: try again when online.',
    );
  });
});
