import type WebSocket from 'ws';
import { ClientConnection, Continuation } from './client-connection';

const grant = { userId: 'u', username: 'alice_1', deviceId: 'd', gatewayId: 'gateway-1' };

function connection(maxQueued: number): ClientConnection {
  return new ClientConnection('c', {} as WebSocket, grant, maxQueued);
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('ClientConnection.enqueue', () => {
  it('runs tasks one at a time in arrival order, the next starting when a continuation is handed back', async () => {
    const c = connection(10);
    const log: string[] = [];
    const acks = [deferred(), deferred()];
    for (const i of [0, 1]) {
      c.enqueue(() => {
        log.push(`start ${i}`);
        return Promise.resolve<Continuation>({
          settled: acks[i].promise.then(() => {
            log.push(`ack ${i}`);
          }),
        });
      });
    }
    c.enqueue(() => {
      log.push('start 2');
      return Promise.resolve();
    });
    await flush();
    // both sends were started before either was acknowledged
    expect(log).toEqual(['start 0', 'start 1', 'start 2']);
    expect(c.queued).toBe(2);
    acks[0].resolve();
    acks[1].resolve();
    await flush();
    expect(log).toEqual(['start 0', 'start 1', 'start 2', 'ack 0', 'ack 1']);
    expect(c.queued).toBe(0);
  });

  it('counts settling frames against the bound and frees them when they settle', async () => {
    const c = connection(2);
    const ack = deferred();
    const task = () => Promise.resolve<Continuation>({ settled: ack.promise });
    expect(c.enqueue(task)).toBe(true);
    expect(c.enqueue(task)).toBe(true);
    await flush();
    expect(c.enqueue(task)).toBe(false);
    ack.resolve();
    await flush();
    expect(c.enqueue(task)).toBe(true);
  });

  it('keeps going after a task or a continuation fails', async () => {
    const c = connection(5);
    c.enqueue(() => Promise.reject(new Error('boom')));
    c.enqueue(() => Promise.resolve({ settled: Promise.reject(new Error('late')) }));
    let ran = false;
    c.enqueue(() => {
      ran = true;
      return Promise.resolve();
    });
    await flush();
    expect(ran).toBe(true);
    expect(c.queued).toBe(0);
  });
});
