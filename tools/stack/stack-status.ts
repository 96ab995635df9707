/**
 * What is running and how far behind it is: every service's /health/ready, every topic's
 * partitions and end offsets, every consumer group's lag.
 *
 *   node dist/tools/stack/stack-status.js      (scripts/stack.sh status)
 *
 * Reads PARLEY_GATEWAYS, PARLEY_REPLICAS, PARLEY_BASE_PORT, PARLEY_KAFKA_BROKERS and KAFKA_BROKERS
 * like the launcher. Exit 0 when every
 * service is ready, Kafka answers and every specified topic exists; 1 otherwise.
 */
import { ConsumerGroup, TOPIC_SPECS, type TopicSpec } from '@parley/common/contracts/topics';
import { type GroupLag, TopicAdmin, type TopicOffsets } from '@parley/kafka/admin';
import { z } from 'zod/v4';
import { parseBrokers } from '../kafka/brokers';
import { stackOptionsFromEnv } from './stack-cli';
import { defineStack, type ServiceDefinition, type ServiceKind } from './stack-definition';

export interface StatusOptions {
  services: readonly ServiceDefinition[];
  /** Host the services are reached on (0.0.0.0 / :: are probed on loopback). */
  host: string;
  brokers: readonly string[];
  /** Per health request; services answer within ~2 s even when a dependency hangs. */
  timeoutMs?: number;
  topics?: readonly TopicSpec[];
  groups?: readonly string[];
}

export type ServiceState = 'ready' | 'not ready' | 'down';

export interface FailingCheck {
  check: string;
  error?: string;
}

export interface ServiceStatus {
  name: string;
  kind: ServiceKind;
  url: string;
  state: ServiceState;
  failing: FailingCheck[];
  /** Why the service is down (connection refused, timeout, unexpected answer). */
  error?: string;
}

export interface TopicStatus extends TopicOffsets {
  expectedPartitions: number | null;
}

export type GroupStatus = GroupLag | { groupId: string; error: string };

export interface KafkaStatus {
  brokers: string[];
  reachable: boolean;
  error?: string;
  topics: TopicStatus[];
  /** Topics of the spec that do not exist on the broker. */
  missingTopics: string[];
  groups: GroupStatus[];
}

export interface StackStatus {
  services: ServiceStatus[];
  kafka: KafkaStatus;
  ok: boolean;
  /** Why ok is false, one line each. */
  problems: string[];
}

const readinessBody = z.object({
  status: z.string(),
  service: z.string().optional(),
  checks: z
    .record(z.string(), z.object({ status: z.string(), error: z.string().optional() }))
    .optional(),
});

/** Stack options with the launcher's environment overrides applied (stackOptionsFromEnv). */
export function statusOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): StatusOptions {
  // The JWT secret plays no part in probing: no secret is read or made for it.
  const stack = stackOptionsFromEnv(env, () => '');
  return {
    services: defineStack(stack),
    host: stack.host,
    brokers: parseBrokers(stack.kafkaBrokers),
  };
}

export async function collectStatus(opts: StatusOptions): Promise<StackStatus> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const [services, kafka] = await Promise.all([
    Promise.all(opts.services.map((s) => probeService(s, opts.host, timeoutMs))),
    collectKafka(opts),
  ]);
  const problems = [
    ...services
      .filter((s) => s.state !== 'ready')
      .map((s) => `${s.name} is ${s.state}${s.error ? ` (${s.error})` : ''}`),
    ...(kafka.reachable ? [] : [`Kafka unreachable: ${kafka.error ?? 'unknown error'}`]),
    ...kafka.missingTopics.map((t) => `topic ${t} does not exist (run create-topics)`),
  ];
  return { services, kafka, ok: problems.length === 0, problems };
}

async function probeService(
  def: ServiceDefinition,
  host: string,
  timeoutMs: number,
): Promise<ServiceStatus> {
  const probeHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${probeHost.includes(':') ? `[${probeHost}]` : probeHost}:${def.port}`;
  const base = { name: def.name, kind: def.kind, url, failing: [] };
  let res: Response;
  try {
    res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    return { ...base, state: 'down', error: fetchError(err, timeoutMs) };
  }
  let body: z.infer<typeof readinessBody> | undefined;
  try {
    const parsed = readinessBody.safeParse(await res.json());
    body = parsed.success ? parsed.data : undefined;
  } catch {
    body = undefined;
  }
  if (body === undefined) {
    return {
      ...base,
      state: 'down',
      error: `unexpected answer from /health/ready (${res.status})`,
    };
  }
  const failing = Object.entries(body.checks ?? {})
    .filter(([, c]) => c.status !== 'up')
    .map(([check, c]) => (c.error === undefined ? { check } : { check, error: c.error }));
  const ready = res.status === 200 && body.status === 'ready';
  return { ...base, state: ready ? 'ready' : 'not ready', failing };
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
}

/** Duck-typed: fetch's errors may come from another realm (e.g. under jest), so no instanceof. */
function asErrorLike(value: unknown): ErrorLike | undefined {
  return typeof value === 'object' && value !== null ? value : undefined;
}

function fetchError(err: unknown, timeoutMs: number): string {
  const e = asErrorLike(err);
  if (e === undefined) return String(err);
  if (e.name === 'TimeoutError' || e.name === 'AbortError')
    return `no answer within ${timeoutMs} ms`;
  const cause = asErrorLike(e.cause);
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return typeof e.message === 'string' ? e.message : String(err);
}

async function collectKafka(opts: StatusOptions): Promise<KafkaStatus> {
  const specs = opts.topics ?? TOPIC_SPECS;
  const groups = opts.groups ?? Object.values(ConsumerGroup);
  const brokers = [...opts.brokers];
  const admin = new TopicAdmin({
    brokers,
    clientId: 'parley-stack-status',
    connectionTimeoutMs: 2000,
    retries: 1,
  });
  try {
    const existing = new Set(await admin.listTopics());
    const missingTopics = specs.filter((s) => !existing.has(s.name)).map((s) => s.name);
    const expected = new Map<string, number>(specs.map((s) => [s.name, s.partitions]));
    const topics = (await admin.describeTopics([...existing])).map((t): TopicStatus => ({
      ...t,
      expectedPartitions: expected.get(t.topic) ?? null,
    }));
    const groupStatus = await Promise.all(
      groups.map(async (groupId): Promise<GroupStatus> => {
        const consumed = specs
          .filter((s) => (s.consumerGroups as readonly string[]).includes(groupId))
          .map((s) => s.name)
          .filter((t) => existing.has(t));
        try {
          return await admin.groupLag(groupId, consumed);
        } catch (err) {
          return { groupId, error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    return { brokers, reachable: true, topics, missingTopics, groups: groupStatus };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { brokers, reachable: false, error, topics: [], missingTopics: [], groups: [] };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) =>
    `  ${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')}`.trimEnd(),
  );
}

/** Human-readable report: services, topics, consumer groups, verdict. */
export function formatStatus(status: StackStatus): string {
  const lines: string[] = ['Services'];
  lines.push(
    ...table(
      ['SERVICE', 'URL', 'STATE', 'FAILING CHECKS'],
      status.services.map((s) => [
        s.name,
        s.url,
        s.state,
        s.state === 'down'
          ? (s.error ?? '')
          : s.failing.map((f) => (f.error ? `${f.check}: ${f.error}` : f.check)).join('; ') || '-',
      ]),
    ),
  );
  const k = status.kafka;
  lines.push(
    '',
    `Kafka ${k.brokers.join(',')}: ${k.reachable ? 'reachable' : `UNREACHABLE (${k.error ?? ''})`}`,
  );
  if (k.reachable) {
    lines.push('', 'Topics');
    lines.push(
      ...table(
        ['TOPIC', 'PARTITIONS', 'RETAINED', 'END OFFSETS (p0 p1 ...)'],
        [
          ...k.topics.map((t) => [
            t.topic,
            t.expectedPartitions === null || t.expectedPartitions === t.partitions.length
              ? String(t.partitions.length)
              : `${t.partitions.length} (spec ${t.expectedPartitions})`,
            String(t.retained),
            t.partitions.map((p) => p.end).join(' '),
          ]),
          ...k.missingTopics.map((t) => [t, 'MISSING', '-', '-']),
        ],
      ),
    );
    lines.push('', 'Consumer groups');
    const rows: string[][] = [];
    for (const g of k.groups) {
      if ('error' in g) {
        rows.push([g.groupId, 'error', '-', '-', '-', g.error]);
        continue;
      }
      if (g.topics.length === 0) rows.push([g.groupId, g.state, String(g.members), '0', '-', '-']);
      g.topics.forEach((t, i) => {
        rows.push([
          i === 0 ? g.groupId : '',
          i === 0 ? g.state : '',
          i === 0 ? String(g.members) : '',
          i === 0 ? String(g.lag) : '',
          t.topic,
          t.partitions.map((p) => `p${p.partition}=${p.lag}`).join(' '),
        ]);
      });
    }
    lines.push(...table(['GROUP', 'STATE', 'MEMBERS', 'LAG', 'TOPIC', 'LAG PER PARTITION'], rows));
  }
  lines.push('', status.ok ? 'Stack is ready.' : 'NOT READY:');
  for (const p of status.problems) lines.push(`  - ${p}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const status = await collectStatus(statusOptionsFromEnv());
  process.stdout.write(`${formatStatus(status)}\n`);
  return status.ok ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`stack-status: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
