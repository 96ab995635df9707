import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ConsumerGroup, TOPIC_SPECS } from '@parley/common';
import { TopicAdmin } from '@parley/kafka';
import { REPO_ROOT } from '../tools/stack/stack-launcher';
import { testStack } from './support/test-stack';

interface Ready {
  status: string;
  service: string;
  checks: Record<string, { status: string }>;
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.json()) as T };
}

describe('the stack', () => {
  const stack = testStack();

  it('brings up two gateways, session, presence and storage, each ready with its dependencies', async () => {
    expect(stack.gateways).toHaveLength(2);
    const expected: [string, string, string[]][] = [
      ...stack.gateways.map((g): [string, string, string[]] => [
        g,
        'gateway',
        ['kafka', 'postgres', 'redis'],
      ]),
      [stack.session, 'session', ['kafka', 'redis']],
      [stack.presence, 'presence', ['kafka', 'postgres']],
      [stack.storage, 'storage', ['kafka', 'postgres']],
    ];
    for (const [url, service, deps] of expected) {
      const live = await getJson<{ status: string }>(`${url}/health/live`);
      expect(live).toEqual({ status: 200, body: { status: 'ok', service } });
      const ready = await getJson<Ready>(`${url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body.service).toBe(service);
      for (const dep of deps) expect(ready.body.checks[dep]).toEqual({ status: 'up' });
    }
  });

  it('exposes Prometheus metrics with process metrics and per-topic Kafka counters', async () => {
    // A registration makes the gateway produce an account event and presence consume it.
    const username = `metrics_${randomUUID().slice(0, 8)}`;
    const reg = await fetch(`${stack.gateways[0]}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username,
        email: `${username}@example.org`,
        realName: 'Metrics Probe',
        password: 'a long enough password',
      }),
    });
    expect(reg.status).toBe(201);

    const res = await fetch(`${stack.gateways[0]}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toMatch(/parley_kafka_produced_total\{[^}]*topic="parley\.account\.events\.v1"/);
    expect(text).toMatch(
      /parley_kafka_produced_total\{[^}]*topic="parley\.gateway\.heartbeats\.v1"/,
    );

    const handled =
      /parley_kafka_handler_seconds_count\{[^}]*topic="parley\.account\.events\.v1"[^}]*\} [1-9]/;
    const consumed =
      /parley_kafka_consumed_total\{[^}]*topic="parley\.account\.events\.v1"[^}]*result="ok"[^}]*\} [1-9]/;
    const deadline = Date.now() + 20000;
    let presence = '';
    while (Date.now() < deadline) {
      presence = await (await fetch(`${stack.presence}/metrics`)).text();
      if (handled.test(presence)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(presence).toMatch(handled);
    expect(presence).toMatch(consumed);
  });

  it("created every topic with its partition count, visible to Kafka's own CLI", () => {
    const out = spawnSync(
      'bash',
      [
        join(REPO_ROOT, 'scripts/kafka.sh'),
        'tool',
        'topics',
        '--bootstrap-server',
        stack.kafkaBrokers[0],
        '--describe',
      ],
      { encoding: 'utf8' },
    );
    expect(out.status).toBe(0);
    for (const spec of TOPIC_SPECS) {
      expect(out.stdout).toMatch(
        new RegExp(
          `Topic: ${spec.name.replace(/\./g, '\\.')}\\s+TopicId: \\S+\\s+PartitionCount: ${spec.partitions}\\s`,
        ),
      );
    }
  });

  it("reports consumer-group lag with Kafka's ConsumerGroupCommand", () => {
    const out = spawnSync('bash', [join(REPO_ROOT, 'scripts/kafka.sh'), 'lag', 'parley.session'], {
      encoding: 'utf8',
      env: { ...process.env, KAFKA_PORT: stack.kafkaBrokers[0].split(':')[1] },
    });
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('parley.gateway.heartbeats.v1');
    expect(out.stdout).toMatch(/LAG/);
  });

  it('refuses to start with a bad variable and names it', () => {
    const out = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/apps/session/src/main.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: 'not-a-port',
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      },
      encoding: 'utf8',
      timeout: 20000,
    });
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('PORT');
    expect(out.stderr).not.toMatch(/\n\s+at /); // no stack trace for a config error
  });

  it('shuts a consumer down cleanly on SIGTERM: it leaves its group and exits 0', async () => {
    const admin = new TopicAdmin({ brokers: stack.kafkaBrokers, clientId: 'e2e-shutdown-probe' });
    const members = async () => (await admin.groupLag(ConsumerGroup.Presence)).members;
    const waitForMembers = async (n: number) => {
      const deadline = Date.now() + 20000;
      while (Date.now() < deadline && (await members()) !== n) {
        await new Promise((r) => setTimeout(r, 250));
      }
      return members();
    };
    const before = await members();
    const port = 4090;
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/apps/presence/src/main.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        NODE_ENV: 'test',
        DATABASE_URL: stack.databaseUrl,
        REDIS_URL: stack.redisUrl,
        PARLEY_CLUSTER_ID: stack.clusterId,
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + 45000;
    let ready = false;
    while (!ready && Date.now() < deadline) {
      ready = await fetch(`http://127.0.0.1:${port}/health/ready`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (!ready) await new Promise((r) => setTimeout(r, 300));
    }
    expect(ready).toBe(true);
    expect(await waitForMembers(before + 1)).toBe(before + 1);

    const exit = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    // It left the group on the way out: membership drops at once, not after the session timeout.
    expect(await waitForMembers(before)).toBe(before);
    expect(output).not.toMatch(/"level":(50|60)/); // no error or fatal lines while stopping
    await admin.disconnect();
  });
});
