import { spawnSync } from 'node:child_process';
import { SERVICE_NODE_FLAGS } from './stack-definition';

describe('SERVICE_NODE_FLAGS', () => {
  it('are flags this Node takes: a service started with them runs instead of exiting', () => {
    const run = spawnSync(process.execPath, [...SERVICE_NODE_FLAGS, '-e', 'process.exit(7)'], {
      encoding: 'utf8',
    });
    // A flag V8 or Node does not know ends the process with "bad option" (status 9) before any
    // script runs, so only a run that reached the script exits 7.
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 7, stderr: '' });
  });
});
