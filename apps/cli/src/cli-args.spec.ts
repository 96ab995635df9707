import { parseCliArgs } from './cli-args';

describe('parseCliArgs', () => {
  it('splits the command, its arguments and flags in any order', () => {
    expect(parseCliArgs(['--server', 'http://h:1', 'contacts', 'add', 'bob'])).toEqual({
      command: 'contacts',
      args: ['add', 'bob'],
      flags: { server: 'http://h:1', username: undefined, email: undefined, name: undefined },
      help: false,
    });
    expect(parseCliArgs(['register', '--username=al', '--name', 'Al Ice']).flags).toMatchObject({
      username: 'al',
      name: 'Al Ice',
    });
  });

  it('rejects unknown flags', () => {
    expect(() => parseCliArgs(['login', '--pasword', 'x'])).toThrow();
  });
});
