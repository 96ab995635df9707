import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { RestartFloor } from './restart-backoff';
import { ServiceSupervisor, SupervisedService } from './service-supervisor';

/** A stand-in child process: `exit()` sets what Node sets and emits 'exit'. */
class FakeChild extends EventEmitter {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  constructor(readonly pid: number | undefined) {
    super();
  }

  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.exitCode = code;
    this.signalCode = signal;
    this.emit('exit', code, signal);
  }
}

const asChild = (fake: FakeChild) => fake as unknown as ChildProcess;

function setUp(floor?: RestartFloor<SupervisedService>) {
  let clock = 0;
  const held = new Set<string>();
  let nextPid = 100;
  const children: FakeChild[] = [];
  const spawn = () => {
    const child = new FakeChild(nextPid++);
    children.push(child);
    return asChild(child);
  };
  const lines: string[] = [];
  const respawned: string[] = [];
  const supervisor = new ServiceSupervisor<SupervisedService>(
    (service) => {
      respawned.push(service.name);
      return spawn();
    },
    (line) => lines.push(line),
    undefined,
    () => clock,
    (service) => held.has(service.name),
    250,
    floor,
  );
  const service: SupervisedService = { name: 'storage', process: spawn(), restarts: 0 };
  return {
    supervisor,
    service,
    children,
    lines,
    respawned,
    held,
    current: () => children[children.length - 1],
    advanceClock: (ms: number) => {
      clock += ms;
      jest.advanceTimersByTime(ms);
    },
  };
}

describe('ServiceSupervisor', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('leaves a held service stopped, and starts it at once when the hold is lifted', () => {
    const t = setUp();
    t.supervisor.watch(t.service, 0);
    t.held.add('storage');
    t.current().exit(0);
    expect(t.lines).toEqual(['storage stopped (held: not restarted until started again)']);
    t.advanceClock(10_000);
    expect(t.respawned).toEqual([]);

    t.held.delete('storage');
    t.advanceClock(250);
    expect(t.lines[1]).toBe('storage starting (hold lifted)');
    expect(t.respawned).toEqual(['storage']);
    expect(t.service.restarts).toBe(1);
    // Once running again it is supervised as before: a crash restarts it.
    t.current().exit(null, 'SIGKILL');
    t.advanceClock(500);
    expect(t.respawned).toEqual(['storage', 'storage']);
  });

  it("cancels a held service's start when the stack stops", () => {
    const t = setUp();
    t.supervisor.watch(t.service, 0);
    t.held.add('storage');
    t.current().exit(0);
    t.supervisor.stop();
    t.held.delete('storage');
    t.advanceClock(5_000);
    expect(t.respawned).toEqual([]);
  });

  it('restarts an exited process after 500 ms and points the service at the new one', () => {
    const t = setUp();
    t.supervisor.watch(t.service, 0);
    t.current().exit(null, 'SIGKILL');
    expect(t.lines).toEqual(['storage exited (code null / signal SIGKILL); restarting in 500ms']);

    t.advanceClock(499);
    expect(t.respawned).toEqual([]);
    t.advanceClock(1);
    expect(t.respawned).toEqual(['storage']);
    expect(t.service.process).toBe(asChild(t.children[1]));
    expect(t.service.restarts).toBe(1);
  });

  it('doubles the delay while the process keeps exiting quickly, and resets after 30 s up', () => {
    const t = setUp();
    t.supervisor.watch(t.service, 0);
    const delays: string[] = [];
    for (let i = 0; i < 5; i++) {
      t.current().exit(1);
      const delay = /restarting in (\d+)ms/.exec(t.lines[t.lines.length - 1])?.[1] ?? '';
      delays.push(delay);
      t.advanceClock(Number(delay));
    }
    expect(delays).toEqual(['500', '1000', '2000', '4000', '5000']);
    expect(t.service.restarts).toBe(5);

    t.advanceClock(30_000);
    t.current().exit(1);
    expect(t.lines[t.lines.length - 1]).toBe(
      'storage exited (code 1 / signal null); restarting in 500ms',
    );
  });

  it('waits for a restart floor longer than the backoff, and says why; a shorter one changes nothing', () => {
    let floorMs = 5_000;
    const t = setUp(() => ({ ms: floorMs, why: 'its clients fail over first' }));
    t.supervisor.watch(t.service, 0);
    t.current().exit(null, 'SIGKILL');
    expect(t.lines).toEqual([
      'storage exited (code null / signal SIGKILL); restarting in 5000ms (its clients fail over first)',
    ]);
    t.advanceClock(4_999);
    expect(t.respawned).toEqual([]);
    t.advanceClock(1);
    expect(t.respawned).toEqual(['storage']);

    // The backoff still doubles underneath: a quick second exit waits 1000 ms, above a 100 ms floor.
    floorMs = 100;
    t.current().exit(1);
    expect(t.lines[1]).toBe('storage exited (code 1 / signal null); restarting in 1000ms');
  });

  it('cancels a pending restart on stop and never restarts after it', () => {
    const t = setUp();
    t.supervisor.watch(t.service, 0);
    t.current().exit(1);
    t.supervisor.stop();
    t.advanceClock(10_000);
    expect(t.respawned).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
    expect(t.service.process).toBe(asChild(t.children[0]));
  });

  it('does not restart a process that exits while the stack stops', () => {
    const t = setUp();
    t.supervisor.watch(t.service, 0);
    t.supervisor.stop();
    t.current().exit(0, null);
    t.advanceClock(10_000);
    expect(t.lines).toEqual([]);
    expect(t.respawned).toEqual([]);
  });

  it('restarts a process that exited before the watch began', () => {
    const t = setUp();
    t.current().exit(1);
    t.supervisor.watch(t.service, 0);
    t.advanceClock(500);
    expect(t.respawned).toEqual(['storage']);
  });

  it('restarts a process whose spawn failed (an error, no pid, maybe an exit) once per failure', () => {
    const t = setUp();
    const failed = new FakeChild(undefined);
    t.service.process = asChild(failed);
    t.supervisor.watch(t.service, 0);
    failed.emit('error', new Error('spawn ENOENT'));
    failed.exit(-2);
    expect(t.lines).toEqual(['storage exited (code null / signal null); restarting in 500ms']);
    t.advanceClock(500);
    expect(t.respawned).toEqual(['storage']);
  });

  it('ignores an error of a process that did start', () => {
    const t = setUp();
    t.supervisor.watch(t.service, 0);
    t.current().emit('error', new Error('kill EPERM'));
    expect(t.lines).toEqual([]);
  });
});

describe('ServiceSupervisor with real processes', () => {
  let afterCleanup = () => {};
  afterEach(() => afterCleanup());
  const sleeper = () =>
    spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });

  it('restarts a SIGKILLed process and stops restarting once stopped', async () => {
    const lines: string[] = [];
    const supervisor = new ServiceSupervisor<SupervisedService>(
      () => sleeper(),
      (line) => lines.push(line),
      { initialMs: 10, maxMs: 20, stableAfterMs: 60_000 },
    );
    const first = sleeper();
    const service: SupervisedService = { name: 'storage', process: first, restarts: 0 };
    supervisor.watch(service, Date.now());
    // Nothing outlives the test, whatever fails in it.
    afterCleanup = () => {
      supervisor.stop();
      service.process.kill('SIGKILL');
    };

    first.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while (service.restarts === 0 && Date.now() < deadline) await delay(10);
    expect(lines).toEqual(['storage exited (code null / signal SIGKILL); restarting in 10ms']);
    expect(service.restarts).toBe(1);
    expect(service.process).not.toBe(first);
    expect(service.process.pid).toEqual(expect.any(Number));

    supervisor.stop();
    const second = service.process;
    const exited = new Promise((resolve) => second.once('exit', resolve));
    second.kill('SIGTERM');
    await exited;
    await delay(50);
    expect(service.process).toBe(second);
    expect(service.restarts).toBe(1);
  });
});
