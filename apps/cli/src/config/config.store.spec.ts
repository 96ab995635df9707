import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore } from './config.store';

describe('ConfigStore', () => {
  const dir = () => join(mkdtempSync(join(tmpdir(), 'parley-cli-')), 'cfg');

  it('writes credentials with mode 0600 in a 0700 directory and reads them back', () => {
    const store = new ConfigStore(dir());
    expect(store.readCredentials()).toBeUndefined();
    const creds = {
      server: 'http://127.0.0.1:3000',
      username: 'alice',
      userId: 'u1',
      accessToken: 'a',
      refreshToken: 'r',
    };
    store.writeCredentials(creds);
    expect(store.readCredentials()).toEqual(creds);
    expect(statSync(store.credentialsPath).mode & 0o777).toBe(0o600);
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    store.clearCredentials();
    expect(store.readCredentials()).toBeUndefined();
  });

  it('keeps one device id per directory', () => {
    const path = dir();
    const id = new ConfigStore(path).deviceId();
    expect(id).toMatch(/^cli-[0-9a-f]{32}$/);
    expect(new ConfigStore(path).deviceId()).toBe(id);
    expect(new ConfigStore(dir()).deviceId()).not.toBe(id);
  });
});
