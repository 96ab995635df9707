import { httpBaseOfSocketUrl, resolveConfigDir, resolveServer } from './config-paths';

describe('config paths', () => {
  it('prefers PARLEY_CONFIG_DIR, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(resolveConfigDir({ PARLEY_CONFIG_DIR: '/a', XDG_CONFIG_HOME: '/x' }, '/h')).toBe('/a');
    expect(resolveConfigDir({ XDG_CONFIG_HOME: '/x' }, '/h')).toBe('/x/parley');
    expect(resolveConfigDir({}, '/h')).toBe('/h/.config/parley');
  });

  it('resolves the server from the flag, the environment or the default', () => {
    expect(resolveServer('http://h:1/', {})).toBe('http://h:1');
    expect(resolveServer(undefined, { PARLEY_SERVER: 'https://chat.example.org' })).toBe(
      'https://chat.example.org',
    );
    expect(resolveServer(undefined, {})).toBe('http://127.0.0.1:3000');
    expect(() => resolveServer('ftp://h', {})).toThrow(/http/);
  });

  it('derives the HTTP base of a gateway from its WebSocket URL', () => {
    expect(httpBaseOfSocketUrl('ws://127.0.0.1:3001/ws')).toBe('http://127.0.0.1:3001');
    expect(httpBaseOfSocketUrl('wss://chat.example.org/ws')).toBe('https://chat.example.org');
    expect(httpBaseOfSocketUrl('nonsense')).toBeUndefined();
  });
});
