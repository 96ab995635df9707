import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkerStep } from './ipc';
import { WorkerPool, type WorkerSettings } from './worker-pool';

/**
 * Stand-in workers (real child processes over the IPC channel): each answers `init` with `ready`
 * and `close` by exiting, and does one thing with a step.
 */
const ON_STEP = {
  answers: `process.send({ type: 'stepResult', workerIndex: m.workerIndex ?? 0, step: m.step });`,
  exitsCleanly: 'process.exit(0);',
  hangs: '',
} as const;

function script(dir: string, onStep: string): string {
  const file = join(dir, `worker-${Math.random().toString(36).slice(2)}.js`);
  writeFileSync(
    file,
    `let index = 0;
process.on('message', (m) => {
  if (m.type === 'init') { index = m.workerIndex; process.send({ type: 'ready', workerIndex: index }); }
  if (m.type === 'step') { m.workerIndex = index; ${onStep} }
  if (m.type === 'close') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
`,
  );
  return file;
}

const step = (startAt: number): WorkerStep => ({
  type: 'step',
  step: 3,
  rate: 1,
  startAt,
  durationMs: 100,
  drainMs: 100,
  textLength: 10,
  acceptedFrames: true,
});

describe('WorkerPool', () => {
  let dir: string;
  let pool: WorkerPool | undefined;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'parley-pool-'))));
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function started(onStep: string): Promise<WorkerPool> {
    pool = new WorkerPool(1, script(dir, onStep));
    await pool.start([], {} as WorkerSettings, () => 0);
    return pool;
  }

  it("resolves with every worker's step result", async () => {
    const p = await started(ON_STEP.answers);
    const results = await p.step(() => step(Date.now()), 5_000);
    expect(results.map((r) => [r.workerIndex, r.step])).toEqual([[0, 3]]);
  });

  it('fails the run when a worker exits, even cleanly, before it answered', async () => {
    const p = await started(ON_STEP.exitsCleanly);
    await expect(p.step(() => step(Date.now()), 5_000)).rejects.toThrow(
      'worker 0 exited before the run ended (code 0)',
    );
  });

  it("fails the run when a worker has not answered a grace after the step's drain", async () => {
    const p = await started(ON_STEP.hangs);
    await expect(p.step(() => step(Date.now()), 300)).rejects.toThrow(
      "step 3: no result from worker 0 within 300 ms after the step's drain ended",
    );
  });
});
