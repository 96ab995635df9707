import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accountsCacheFile } from '../tools/loadtest/accounts';
import { testStack } from './support/test-stack';
import { upgradesAdded, upgradesByWay } from './support/upgrades';

/**
 * The load tool (dist/tools/loadtest/main.js) against the e2e stack, in small bounded runs. It
 * checks behaviour, not speed: the run completes, every acked message is delivered exactly once
 * and in order, the report carries latencies and process stats, and the connect workload counts
 * its sockets and each gateway's memory.
 */
const MAIN = join(__dirname, '..', 'dist', 'tools', 'loadtest', 'main.js');
const stack = testStack();

function runTool(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args, '--gateways', stack.gateways.join(',')], {
      cwd: join(__dirname, '..'),
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The run exited 0; otherwise the failure shows its stderr. */
function expectSucceeded(run: { code: number | null; stderr: string }): void {
  expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({
    code: 0,
    stderr: '',
  });
}

function lines(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('load tool (npm run loadtest)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-loadtest-'));
  const prefix = `e${Date.now().toString(36).slice(-6)}`;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A one-second `pairs` step of `users` users sending `users` messages a second, one worker. */
  const oneSecondOfPairs = (userPrefix: string, users: number): string[] => [
    'pairs',
    ...['--users', String(users), '--rate', String(users), '--duration', '1', '--drain', '2'],
    ...['--workers', '1', '--user-prefix', userPrefix, '--p99-limit-ms', '60000'],
  ];

  it('pairs: a small open-loop run delivers every acked message once, in order, with latencies and process stats', async () => {
    const out = join(dir, 'pairs.jsonl');
    const run = await runTool([
      'pairs',
      '--users',
      '20',
      '--rate',
      '50',
      '--duration',
      '3',
      '--drain',
      '8',
      '--workers',
      '1',
      '--user-prefix',
      prefix,
      '--p99-limit-ms',
      '60000',
      '--out',
      out,
    ]);
    expectSucceeded(run);
    expect(run.stderr).toMatch(/\[50\/s run \d+s\] sent=\d+ acked=\d+ delivered=\d+ errors=\d+/);
    expect(run.stdout).toContain('delivery ms p50/p90/p99/max');
    expect(run.stdout).toMatch(
      /^machine: \d+ cores; JSON encode\+decode of a send frame [\d.]+ µs; loopback round trip to another process p50 [\d.]+ \/ p90 [\d.]+ \/ p99 [\d.]+ µs$/m,
    );

    const [step] = lines(out);
    // Every JSON line carries the machine it was measured on.
    expect(step.machine).toEqual({
      cores: expect.any(Number),
      jsonUs: expect.any(Number),
      loopbackRttUs: { p50: expect.any(Number), p90: expect.any(Number), p99: expect.any(Number) },
    });
    expect(step).toMatchObject({
      workload: 'pairs',
      offeredRate: 50,
      users: 20,
      sent: 150,
      accepted: 150,
      lost: 0,
      duplicates: 0,
      outOfOrder: 0,
      unacked: 0,
    });
    expect(step.achievedRate).toBeGreaterThan(0);
    expect(step.acked).toBe(150);
    expect(step.delivered).toBe(150);
    // Devices report delivered cursors, so senders get receipts (none with --no-cursors, below).
    expect(step.receipts).toBeGreaterThan(0);
    for (const key of ['ackLatencyMs', 'deliveryLatencyMs', 'scheduleLagMs']) {
      expect(step[key]).toEqual({
        count: expect.any(Number) as number,
        p50: expect.any(Number) as number,
        p90: expect.any(Number) as number,
        p99: expect.any(Number) as number,
        max: expect.any(Number) as number,
        mean: expect.any(Number) as number,
      });
    }
    const names = (
      step.processes as Array<{ name: string; cpuPercent: number; rssMiB: number }>
    ).map((p) => p.name);
    for (const gateway of stack.gateways)
      expect(names).toContain(`gateway:${new URL(gateway).port}`);
    expect(names).toEqual(
      expect.arrayContaining(['session', 'presence', 'storage', 'postgres', 'generator']),
    );
  }, 120_000);

  it('images: each rate runs alone, then with photo uploads beside it that reach their recipient; the image worker is measured', async () => {
    const out = join(dir, 'images.jsonl');
    const run = await runTool([
      'images',
      '--users',
      '10',
      '--rate',
      '20',
      '--duration',
      '3',
      '--drain',
      '8',
      '--workers',
      '1',
      '--user-prefix',
      `${prefix}i`,
      '--p99-limit-ms',
      '60000',
      '--uploads-per-s',
      '1',
      '--photo-kb',
      '300',
      '--out',
      out,
    ]);
    expectSucceeded(run);
    expect(run.stdout).toContain('upload->delivered ms p50/p90/p99/max');

    const [alone, beside] = lines(out);
    expect(alone).toMatchObject({ workload: 'pairs', offeredRate: 20, lost: 0, delivered: 60 });
    expect(alone.uploads).toBeUndefined();
    expect(beside).toMatchObject({ workload: 'pairs', offeredRate: 20, lost: 0, delivered: 60 });
    expect(beside.uploads).toMatchObject({
      offeredPerS: 1,
      started: 3,
      skipped: 0,
      uploaded: 3,
      delivered: 3,
      errors: {},
    });
    const uploads = beside.uploads as { photoBytes: number; workerCpuMsPerImage: number };
    expect(uploads.photoBytes).toBeGreaterThan(200 * 1024);
    expect(uploads.workerCpuMsPerImage).toBeGreaterThan(0);
    const names = (beside.processes as Array<{ name: string }>).map((p) => p.name);
    expect(names).toContain('image-worker');
  }, 180_000);

  it('pairs: a rerun reuses the cached tokens instead of logging in again; --no-accepted sends get acks alone, --no-cursors no receipts', async () => {
    const out = join(dir, 'pairs-no-accepted.jsonl');
    const run = await runTool([
      ...oneSecondOfPairs(prefix, 20),
      '--no-accepted',
      '--no-cursors',
      '--out',
      out,
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('20 cached, 0 refreshed, 0 logged in');
    const [step] = lines(out);
    expect(step).toMatchObject({
      sent: 20,
      accepted: 0,
      acked: 20,
      delivered: 20,
      lost: 0,
      receipts: 0,
    });
  }, 120_000);

  it('pairs: a token cache from another database whose tokens all expired is recovered from (register, log in)', async () => {
    const stale = `${prefix}x`;
    const cacheFile = accountsCacheFile(join(__dirname, '..'), stale, stack.gateways[0]);
    const accounts = Object.fromEntries(
      [0, 1].map((n) => [
        `lt_${stale}_${n}`,
        {
          username: `lt_${stale}_${n}`,
          userId: '00000000-0000-4000-8000-000000000000',
          accessToken: 'expired',
          refreshToken: 'from-another-database',
          expiresAt: Date.now() - 60_000,
        },
      ]),
    );
    mkdirSync(join(cacheFile, '..'), { recursive: true });
    writeFileSync(cacheFile, JSON.stringify({ version: 1, gateway: stack.gateways[0], accounts }));
    try {
      const run = await runTool(oneSecondOfPairs(stale, 2));
      expectSucceeded(run);
      expect(run.stderr).toContain('0 cached, 0 refreshed, 2 logged in (2 new)');
    } finally {
      rmSync(cacheFile, { force: true });
    }
  }, 120_000);

  it('sync: a device in agreement converges on its summary alone; one that missed messages sends its states after the summary and gets each message once', async () => {
    const out = join(dir, 'sync.jsonl');
    const run = await runTool([
      'sync',
      ...['--conversations', '12', '--seed-messages', '10', '--repeat', '2'],
      ...['--behind', '60', '--behind-conversations', '3'],
      ...['--user-prefix', `${prefix}s`, '--out', out],
    ]);
    expectSucceeded(run);
    const [report] = lines(out);
    expect(report).toMatchObject({ workload: 'sync', conversations: 12 });
    const agreement = report.agreement as Array<Record<string, number>>;
    expect(agreement).toHaveLength(2);
    for (const sync of agreement) {
      expect(sync).toMatchObject({ rounds: 1, messages: 0 });
      // One frame out: the summary (a state is about 158 bytes; twelve would be near 2 KB).
      expect(sync.bytesSent).toBeLessThan(400);
    }
    // The summary, the twelve states (three behind: their 60 messages), the three caught up.
    expect(report.behind).toMatchObject({ behindMessages: 60, messages: 60, rounds: 3 });
    expect(run.stdout).toContain('60 behind in 3');
  }, 120_000);

  it('connect: opens the requested sockets through the directory and reports memory per gateway', async () => {
    const out = join(dir, 'connect.jsonl');
    const run = await runTool([
      'connect',
      '--connections',
      '50',
      '--users',
      '20',
      '--workers',
      '2',
      '--hold',
      '3',
      '--user-prefix',
      prefix,
      '--out',
      out,
    ]);
    expectSucceeded(run);
    const [report] = lines(out);
    expect(report).toMatchObject({ workload: 'connect', requested: 50, connected: 50, failed: 0 });
    expect(report.connectRate).toBeGreaterThan(0);
    // The stack's CPU while the sockets were held: measured, per process and summed.
    expect(report.holdStackCpuPercent).toBeGreaterThan(0);
    expect((report.holdProcesses as Array<{ name: string }>).map((p) => p.name)).toEqual(
      expect.arrayContaining(['session', 'storage']),
    );
    const memory = report.memory as Array<{
      gateway: string;
      connections: number;
      rssAfterMiB: number;
      liveBytesPerConnection: number | null;
    }>;
    expect(memory.map((m) => m.gateway)).toEqual(expect.arrayContaining(stack.gateways));
    // Memory is measured from a baseline read once the first tenth is open.
    expect(report.baselineConnections).toBeGreaterThan(0);
    expect(report.baselineConnections).toBeLessThan(50);
    expect(memory.reduce((sum, m) => sum + m.connections, 0)).toBe(
      50 - Number(report.baselineConnections),
    );
    for (const m of memory.filter((g) => stack.gateways.includes(g.gateway))) {
      expect(m.rssAfterMiB).toBeGreaterThan(0);
      expect(m).toHaveProperty('bytesPerConnection');
      // The gateways' readings carry V8's live memory as well (heap used + external).
      expect(typeof m.liveBytesPerConnection).toBe('number');
    }
  }, 120_000);

  it('connect --returning --direct: the measured devices sum up what they hold, and each converges in its first round; every socket opened directly unless sent to the directory (421)', async () => {
    const upgradesBefore = await upgradesByWay(stack.gateways);
    /** Sync rounds answered by every gateway so far, by outcome. */
    const rounds = async (): Promise<{
      converged: number;
      notConverged: number;
      summariesMatched: number;
    }> => {
      const total = { converged: 0, notConverged: 0, summariesMatched: 0 };
      for (const gateway of stack.gateways) {
        const text = await (await fetch(`${gateway}/metrics`)).text();
        for (const [, outcome, n] of text.matchAll(
          /^parley_sync_rounds_total\{[^}]*outcome="(\w+)"[^}]*\} (\d+)/gm,
        )) {
          if (outcome === 'converged') total.converged += Number(n);
          else total.notConverged += Number(n);
        }
        for (const [, n] of text.matchAll(
          /^parley_sync_summaries_total\{[^}]*outcome="matched"[^}]*\} (\d+)/gm,
        )) {
          total.summariesMatched += Number(n);
        }
      }
      return total;
    };
    const out = join(dir, 'returning.jsonl');
    const before = await rounds();
    const run = await runTool([
      'connect',
      '--connections',
      '20',
      '--users',
      '20',
      '--conversations',
      '2',
      '--workers',
      '1',
      '--hold',
      '1',
      '--returning',
      '--direct',
      '--user-prefix',
      `${prefix}r`,
      '--out',
      out,
    ]);
    expectSucceeded(run);
    expect(run.stderr).toMatch(/returning devices: 20 connected, synced and closed/);
    const [report] = lines(out);
    expect(report).toMatchObject({ devices: 'returning', requested: 20, connected: 20 });
    const after = await rounds();
    // Each device's priming sync, as a new device holding conversations, took two rounds that did
    // not converge (the server listed what it lacked; then the tails) and one that did; each
    // measured reconnect is one round, a summary in agreement at once. So 40 converged (20
    // priming, 20 measured) and 40 that did not, all priming: as new devices the reconnects would
    // add 40 more.
    expect(after.converged - before.converged).toBe(40);
    expect(after.notConverged - before.notConverged).toBe(40);
    expect(after.summariesMatched - before.summariesMatched).toBe(20);
    // 40 device sockets (20 priming, 20 measured), each first opened directly (kept there, or sent
    // on to the directory by a 421). The seeding's own sockets take tickets, as before.
    const added = upgradesAdded(upgradesBefore, await upgradesByWay(stack.gateways));
    expect(added('direct')).toBeGreaterThan(0);
    expect(added('direct') + added('redirected')).toBe(40);
  }, 180_000);

  it('presence: watchers are pushed state changes, typing reaches the other member, every hop is counted, and a storm is tallied per user', async () => {
    const out = join(dir, 'presence.jsonl');
    const run = await runTool([
      'presence',
      '--users',
      '20',
      '--watch',
      '3',
      '--conversations',
      '1',
      // 8 toggles a second: 4 users a second go away for 3 s (past the e2e stack's 1.5 s grace)
      '--change-rate',
      '0.4',
      '--away',
      '3',
      '--typing-rate',
      '4',
      '--duration',
      '4',
      '--idle',
      '1',
      '--storm',
      '5',
      '--storm-settle',
      '3',
      '--workers',
      '1',
      '--user-prefix',
      `${prefix}p`,
      '--out',
      out,
    ]);
    expectSucceeded(run);
    expect(run.stderr).toMatch(/\[presence run \d+s\] toggles=\d+ typing=\d+ pushes=\d+/);
    expect(run.stderr).toContain(
      '20 devices in the foreground and watching (0 failed), 20 conversations found or made',
    );
    expect(run.stdout).toContain('pushes/toggle');
    const [step, storm] = lines(out);
    // 4 cycles a second for 4 s, each away and back; 4 signals a second.
    expect(step).toMatchObject({
      workload: 'presence',
      users: 20,
      watch: 3,
      sockets: 20,
      toBackground: 16,
      toForeground: 16,
      toggles: 32,
      typingSent: 16,
    });
    expect(step.presenceEntries).toBeGreaterThan(0);
    expect(step.typingReceived).toBeGreaterThan(0);
    const perChange = step.perChange as Record<string, number | null>;
    expect(perChange.pushesPerToggle).toBeGreaterThan(0);
    expect(perChange.typingFramesPerSignal).toBeGreaterThan(0);
    const events = step.events as {
      kafkaByTopic: Record<string, number>;
      redisPresence: { publishes: number } | null;
      redisDeliveries: { typingEntries: number } | null;
      dbWrites: { rows: number } | null;
    };
    expect(events.kafkaByTopic['parley.connections.v1']).toBeGreaterThan(0);
    expect(events.kafkaByTopic['parley.typing.v1']).toBeGreaterThan(0);
    expect(events.redisPresence?.publishes).toBeGreaterThan(0);
    expect(events.redisDeliveries?.typingEntries).toBeGreaterThan(0);
    expect(events.dbWrites).toEqual(
      expect.objectContaining({ rows: expect.any(Number) as number }),
    );
    expect(step.perSecond).toEqual(
      expect.objectContaining({
        toggles: 8,
        kafkaConnections: expect.any(Number) as number,
        kafkaActivity: expect.any(Number) as number,
        kafkaTyping: expect.any(Number) as number,
        redisPresence: expect.any(Number) as number,
        dbWrites: expect.any(Number) as number,
      }),
    );
    expect(step.presenceCpuPercent).toEqual(expect.any(Number));
    const names = (step.processes as Array<{ name: string }>).map((p) => p.name);
    for (const gateway of stack.gateways)
      expect(names).toContain(`gateway:${new URL(gateway).port}`);
    expect(names).toContain('presence');

    expect(storm).toMatchObject({ workload: 'presence-storm', dropped: 5, reconnected: 5 });
    for (const key of ['published', 'pushed'])
      expect(storm[key]).toEqual({
        users: 5,
        changed: expect.any(Number) as number,
        max: expect.any(Number) as number,
        mean: expect.any(Number) as number,
        overOne: expect.any(Number) as number,
        total: expect.any(Number) as number,
      });

    // A rerun finds the conversations again through the same idempotency keys, storing nothing.
    const again = await runTool([
      'presence',
      ...['--users', '20', '--watch', '3', '--change-rate', '0', '--typing-rate', '4'],
      ...['--duration', '2', '--drain', '2', '--idle', '0', '--workers', '2'],
      ...['--user-prefix', `${prefix}p`, '--out', join(dir, 'presence-again.jsonl')],
    ]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('20 cached');
    expect(again.stderr).toContain('20 conversations found or made');
    const [rerun] = lines(join(dir, 'presence-again.jsonl'));
    expect(rerun).toMatchObject({ workload: 'presence', toggles: 0, typingSent: 8 });
    expect(rerun.typingReceived).toBe(8);
  }, 240_000);

  it('refuses a non-loopback target', async () => {
    const child = await new Promise<number | null>((resolve) => {
      const p = spawn(process.execPath, [MAIN, 'pairs', '--gateways', 'http://10.1.2.3:3000'], {
        stdio: 'ignore',
      });
      p.on('exit', resolve);
    });
    expect(child).toBe(2);
  });
});
