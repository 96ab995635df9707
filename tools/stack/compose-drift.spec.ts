import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod/v4';
import { WS_PATH } from '../../apps/gateway/src/realtime/upgrade-request';
import {
  DEFAULT_STACK_OPTIONS,
  defineStack,
  LOOPBACK_ADDRESSES,
  SERVICE_NODE_FLAGS,
  STACK_ENV_VARS,
} from './stack-definition';

/**
 * docker-compose.yml must describe the same stack as the launcher (stack-definition.ts): same
 * processes (one compose service per launcher process, same names), same variables, same ports,
 * same Kafka rules; plus what only compose has: restart policies, which ports are published where,
 * and public URLs a client on the host can reach. Runs in `npm test` without Docker.
 */
const ROOT = join(__dirname, '..', '..');

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const composeService = z.object({
  image: z.string().optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  environment: z.union([z.record(z.string(), scalar), z.array(z.string())]).optional(),
  deploy: z.object({ replicas: z.number().optional() }).optional(),
  depends_on: z
    .union([
      z.array(z.string()),
      z.record(z.string(), z.object({ condition: z.string().optional() })),
    ])
    .optional(),
  healthcheck: z.object({ test: z.union([z.string(), z.array(z.string())]) }).optional(),
  ports: z.array(z.union([z.string(), z.number()])).optional(),
  restart: z.string().optional(),
});
type ComposeService = z.infer<typeof composeService>;
const composeFile = z.object({ services: z.record(z.string(), composeService) });

/** A `NAME="value"` default of scripts/kafka.sh (the broker JVM's options the local stack runs with). */
function kafkaScriptDefault(name: string): string {
  const script = readFileSync(join(ROOT, 'scripts', 'kafka.sh'), 'utf8');
  const value = new RegExp(`^${name}="([^"]*)"$`, 'm').exec(script)?.[1];
  if (value === undefined) throw new Error(`no ${name}="..." in scripts/kafka.sh`);
  return value;
}

/** The broker JVM's heap and collector: compose's brokers run what the local broker runs. */
const BROKER_JVM = {
  KAFKA_HEAP_OPTS: kafkaScriptDefault('DEFAULT_HEAP_OPTS'),
  KAFKA_JVM_PERFORMANCE_OPTS: kafkaScriptDefault('DEFAULT_JVM_PERFORMANCE_OPTS'),
};

function loadCompose(file = 'docker-compose.yml'): Record<string, ComposeService> {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return composeFile.parse(parse(text, { merge: true })).services;
}

/**
 * `docker compose -f docker-compose.yml -f <override>`'s merge of the parts this test reads: a
 * service's maps (environment, depends_on) merge key by key, its other fields are replaced,
 * ports are appended.
 */
function mergeCompose(
  base: Record<string, ComposeService>,
  override: Record<string, ComposeService>,
): Record<string, ComposeService> {
  const merged = { ...base };
  for (const [name, o] of Object.entries(override)) {
    const b = base[name];
    if (b === undefined) {
      merged[name] = o;
      continue;
    }
    merged[name] = {
      ...b,
      ...o,
      environment: { ...Object.fromEntries(environment(b)), ...Object.fromEntries(environment(o)) },
      depends_on: { ...Object.fromEntries(conditions(b)), ...Object.fromEntries(conditions(o)) },
      ports: [...(b.ports ?? []), ...(o.ports ?? [])],
    };
  }
  return merged;
}

function conditions(service: ComposeService): [string, { condition?: string }][] {
  return [...dependsOn(service)].map(([name, condition]) => [name, { condition }]);
}

function environment(service: ComposeService): Map<string, string> {
  const env = service.environment ?? {};
  const entries: [string, string][] = Array.isArray(env)
    ? env.map((line): [string, string] => {
        const eq = line.indexOf('=');
        return eq < 0 ? [line, ''] : [line.slice(0, eq), line.slice(eq + 1)];
      })
    : Object.entries(env).map(([k, v]): [string, string] => [k, String(v)]);
  return new Map(entries);
}

function commandLine(service: ComposeService): string {
  const c = service.command ?? '';
  return Array.isArray(c) ? c.join(' ') : c;
}

/**
 * Compose's variable interpolation as `docker compose config` does it with none of the variables
 * set: `${V:-d}` / `${V-d}` -> d, `${V}` / `${V:?err}` -> '', `$$` -> `$`.
 */
function interpolate(value: string): string {
  return value
    .replace(
      /\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*)|:?\?[^}]*)?\}/g,
      (_, fallback?: string) => fallback ?? '',
    )
    .replace(/\$\$/g, '$');
}

interface PublishedPort {
  /** Host address it is bound to; undefined = every interface. */
  hostIp?: string;
  /** Host port (or range); undefined = an ephemeral one. */
  hostPort?: string;
  containerPort: string;
}

/** Short port syntax: `[[IP:]HOST:]CONTAINER[/proto]`, after interpolation. */
function publishedPort(raw: string | number): PublishedPort {
  const spec = interpolate(String(raw)).replace(/\/(tcp|udp)$/, '');
  const parts = spec.split(':');
  if (parts.length === 1) return { containerPort: parts[0] };
  if (parts.length === 2) return { hostPort: parts[0], containerPort: parts[1] };
  return {
    hostIp: parts.slice(0, -2).join(':'),
    hostPort: parts[parts.length - 2],
    containerPort: parts[parts.length - 1],
  };
}

function dependsOn(service: ComposeService): Map<string, string | undefined> {
  const d = service.depends_on ?? {};
  return Array.isArray(d)
    ? new Map(d.map((name) => [name, undefined]))
    : new Map(Object.entries(d).map(([name, v]) => [name, v.condition]));
}

describe('docker-compose.yml matches the launcher (stack-definition.ts)', () => {
  const compose = loadCompose();
  const definitions = defineStack(DEFAULT_STACK_OPTIONS);
  const kinds = [...new Set(definitions.map((d) => d.kind))];
  const gateways = definitions.filter((d) => d.kind === 'gateway');
  const service = (name: string): ComposeService => {
    const s = compose[name];
    if (s === undefined) throw new Error(`docker-compose.yml has no service "${name}"`);
    return s;
  };
  /** The launcher's process names (gateway-1, gateway-2, session, ...): compose uses the same. */
  const names = definitions.map((d) => d.name);
  const env = (name: string, variable: string): string =>
    interpolate(environment(service(name)).get(variable) ?? '');

  it('has a service for every process the launcher starts, under the same name', () => {
    expect(kinds.length).toBeGreaterThan(0);
    for (const name of names) expect(Object.keys(compose)).toContain(name);
  });

  it('runs the launcher gateways (>= 2) as separate services, and no other gateway', () => {
    expect(gateways.length).toBeGreaterThanOrEqual(2);
    const composeGateways = Object.keys(compose).filter((n) => n.startsWith('gateway'));
    expect(composeGateways.sort()).toEqual(gateways.map((g) => g.name).sort());
    // Replicas of one service would share one GATEWAY_ID / public URL / host port.
    for (const name of composeGateways) expect(service(name).deploy?.replicas ?? 1).toBe(1);
  });

  it.each(definitions.map((d) => [d.name, d.kind] as const))(
    '%s: carries exactly the variables of STACK_ENV_VARS',
    (name, kind) => {
      const vars = environment(service(name));
      const missing = STACK_ENV_VARS[kind].filter((v) => !vars.has(v));
      expect({ name, missing }).toEqual({ name, missing: [] });
      const unknown = [...vars.keys()].filter((v) => !STACK_ENV_VARS[kind].includes(v));
      expect({ name, unknownToLauncher: unknown }).toEqual({ name, unknownToLauncher: [] });
    },
  );

  it.each(definitions.map((d) => [d.name, d] as const))(
    '%s: runs the same entry point on the same port as the launcher',
    (name, def) => {
      const s = service(name);
      expect(commandLine(s)).toContain(`node ${SERVICE_NODE_FLAGS.join(' ')} ${def.entry}`);
      expect(environment(s).get('PORT')).toBe(String(def.port));
    },
  );

  it.each(names)('%s: waits for a healthy Kafka and for the topics job to finish', (name) => {
    const deps = dependsOn(service(name));
    expect(deps.get('kafka')).toBe('service_healthy');
    expect(deps.get('topics')).toBe('service_completed_successfully');
    for (const [dep, condition] of deps) {
      if (dep !== 'topics')
        expect({ dep, condition }).toEqual({ dep, condition: 'service_healthy' });
    }
    expect(service(name).healthcheck).toBeDefined();
  });

  it('gives every gateway its own GATEWAY_ID, the one the launcher gives it', () => {
    const ids = gateways.map((g) => env(g.name, 'GATEWAY_ID'));
    expect(new Set(ids).size).toBe(gateways.length);
    expect(ids).toEqual(gateways.map((g) => g.env.GATEWAY_ID));
  });

  it.each(gateways.map((g) => g.name))(
    '%s: advertises a WebSocket URL a client on the host reaches: loopback, its published port, the socket path',
    (name) => {
      const url = new URL(env(name, 'GATEWAY_PUBLIC_URL'));
      expect(url.protocol).toBe('ws:');
      expect(LOOPBACK_ADDRESSES.concat('localhost')).toContain(url.hostname);
      expect(url.pathname).toBe(WS_PATH);
      // The URL's port is a host port that compose publishes to the port this gateway listens on.
      const containerPort = env(name, 'PORT');
      const published = (service(name).ports ?? []).map(publishedPort);
      expect(published).toContainEqual(
        expect.objectContaining({ hostPort: url.port, containerPort }),
      );
      const hostIp = published.find((p) => p.hostPort === url.port)?.hostIp;
      if (hostIp !== undefined) expect(['0.0.0.0', ...LOOPBACK_ADDRESSES]).toContain(hostIp);
    },
  );

  it('publishes each gateway on a host port of its own', () => {
    const hostPorts = gateways.flatMap((g) =>
      (service(g.name).ports ?? []).map((p) => publishedPort(p).hostPort),
    );
    expect(hostPorts.every((p) => p !== undefined && /^\d+$/.test(p))).toBe(true);
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it("lets pages from every gateway's host origin open a WebSocket on any gateway", () => {
    const origins = gateways.map((g) => {
      const url = new URL(env(g.name, 'GATEWAY_PUBLIC_URL'));
      return `http://${url.host}`;
    });
    for (const g of gateways) {
      const allowed = env(g.name, 'WS_ALLOWED_ORIGINS').split(',');
      for (const origin of origins)
        expect({ gateway: g.name, allowed }).toEqual({
          gateway: g.name,
          allowed: expect.arrayContaining([origin]),
        });
    }
  });

  it('puts the gateways and session in one Redis cluster id', () => {
    const ids = definitions
      .filter((d) => STACK_ENV_VARS[d.kind].includes('PARLEY_CLUSTER_ID'))
      .map((d) => env(d.name, 'PARLEY_CLUSTER_ID'));
    expect(ids.length).toBeGreaterThan(1);
    expect(ids[0]).toMatch(/^[a-z0-9][a-z0-9-]{0,31}$/);
    expect(new Set(ids).size).toBe(1);
  });

  it.each(Object.keys(compose))(
    '%s: comes back after a crash or a reboot (restart policy)',
    (name) => {
      const restart = service(name).restart ?? 'no';
      // The one-shot topics job must not be restarted after it succeeded.
      const allowed =
        name === 'topics' ? /^on-failure(:\d+)?$/ : /^(unless-stopped|always|on-failure(:\d+)?)$/;
      expect({ name, restart }).toEqual({ name, restart: expect.stringMatching(allowed) });
    },
  );

  it('runs the Kafka version the local broker runs, in KRaft mode, with auto-create off', () => {
    const kafka = service('kafka');
    const pom = readFileSync(join(ROOT, 'infra', 'kafka', 'pom.xml'), 'utf8');
    const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
    expect(kafka.image).toBe(`apache/kafka:${version ?? '(no kafka.version in pom.xml)'}`);
    const vars = environment(kafka);
    expect(vars.get('KAFKA_AUTO_CREATE_TOPICS_ENABLE')).toBe('false');
    expect(vars.get('KAFKA_PROCESS_ROLES')).toBe('broker,controller');
    expect(vars.get('KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR')).toBe('1');
    expect(kafka.healthcheck).toBeDefined();
  });

  it('gives the broker JVM the heap, collector and options scripts/kafka.sh gives the local broker', () => {
    const vars = environment(service('kafka'));
    expect(BROKER_JVM.KAFKA_JVM_PERFORMANCE_OPTS).toContain('-XX:+UseSerialGC');
    // No hsperfdata sampling: the JVM's periodic task thread woke 20 times a second for it.
    expect(BROKER_JVM.KAFKA_JVM_PERFORMANCE_OPTS).toContain('-XX:-UsePerfData');
    for (const [name, value] of Object.entries(BROKER_JVM)) expect(vars.get(name)).toBe(value);
  });

  it('points every service at an advertised Kafka listener', () => {
    const advertised = environment(service('kafka')).get('KAFKA_ADVERTISED_LISTENERS') ?? '';
    for (const name of [...names, 'topics']) {
      const brokers = environment(service(name)).get('KAFKA_BROKERS') ?? '';
      expect(brokers).not.toBe('');
      for (const b of brokers.split(',')) expect(advertised).toContain(`://${b}`);
    }
  });

  it('publishes only the gateways on every interface: internal services and Kafka on loopback', () => {
    const gatewayNames = new Set(gateways.map((g) => g.name));
    for (const [name, s] of Object.entries(compose)) {
      if (gatewayNames.has(name)) continue;
      for (const raw of s.ports ?? []) {
        // No host address (or 0.0.0.0, ::) means every interface.
        const { hostIp } = publishedPort(raw);
        expect({ name, port: String(raw), hostIp }).toEqual({
          name,
          port: String(raw),
          hostIp: expect.stringMatching(/^(127\.\d+\.\d+\.\d+|\[?::1\]?)$/),
        });
      }
    }
  });

  it('creates topics with the same tool as the launcher, after Kafka is healthy', () => {
    const topics = service('topics');
    expect(commandLine(topics)).toContain('node dist/tools/kafka/create-topics.js');
    expect(existsSync(join(ROOT, 'tools', 'kafka', 'create-topics.ts'))).toBe(true);
    expect(dependsOn(topics).get('kafka')).toBe('service_healthy');
  });
});

describe('docker-compose.cluster.yml: the scaled-out layout the launcher starts with PARLEY_KAFKA_BROKERS=3 PARLEY_REPLICAS=2', () => {
  const base = loadCompose();
  const compose = mergeCompose(base, loadCompose('docker-compose.cluster.yml'));
  const definitions = defineStack({ ...DEFAULT_STACK_OPTIONS, replicas: 2 });
  const brokers = ['kafka', 'kafka-2', 'kafka-3'];
  const vars = (name: string): Map<string, string> => {
    const s = compose[name];
    if (s === undefined) throw new Error(`no service "${name}" in the merged compose files`);
    return new Map([...environment(s)].map(([k, v]) => [k, interpolate(v)]));
  };

  it('runs three brokers as one KRaft quorum, replicating 3 ways with min.insync.replicas 2', () => {
    const voters = brokers.map((b) => vars(b).get('KAFKA_CONTROLLER_QUORUM_VOTERS'));
    expect(new Set(voters).size).toBe(1);
    expect(voters[0]).toBe('1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093');
    expect(brokers.map((b) => vars(b).get('KAFKA_NODE_ID'))).toEqual(['1', '2', '3']);
    expect(new Set(brokers.map((b) => vars(b).get('CLUSTER_ID'))).size).toBe(1);
    for (const b of brokers) {
      expect(compose[b]?.image).toBe(base.kafka?.image);
      expect(vars(b).get('KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR')).toBe('3');
      expect(vars(b).get('KAFKA_MIN_INSYNC_REPLICAS')).toBe('2');
      expect(vars(b).get('KAFKA_ADVERTISED_LISTENERS')).toContain(`INTERNAL://${b}:9092`);
      expect(compose[b]?.healthcheck).toBeDefined();
      for (const [name, value] of Object.entries(BROKER_JVM)) expect(vars(b).get(name)).toBe(value);
    }
  });

  it('has every process of the launcher with two replicas, under the same names and ports', () => {
    for (const d of definitions) {
      expect(Object.keys(compose)).toContain(d.name);
      expect(vars(d.name).get('PORT')).toBe(String(d.port));
    }
  });

  it('gives each second replica the environment of the first, but for its port', () => {
    for (const kind of ['session', 'presence', 'storage']) {
      const first = vars(kind);
      const second = vars(`${kind}-2`);
      expect([...second.keys()].sort()).toEqual([...first.keys()].sort());
      for (const [k, v] of first)
        if (k !== 'PORT') expect({ kind, k, v: second.get(k) }).toEqual({ kind, k, v });
      expect(compose[`${kind}-2`]?.command).toEqual(compose[kind]?.command);
    }
  });

  it('points every service and the topics job at all three brokers, after all three are healthy', () => {
    const advertised = brokers.map((b) => vars(b).get('KAFKA_ADVERTISED_LISTENERS') ?? '');
    for (const name of [...definitions.map((d) => d.name), 'topics']) {
      const list = (vars(name).get('KAFKA_BROKERS') ?? '').split(',');
      expect(list).toHaveLength(3);
      list.forEach((b, i) => expect(advertised[i]).toContain(`://${b}`));
      const deps = dependsOn(compose[name]);
      for (const b of brokers)
        expect({ name, b, c: deps.get(b) }).toEqual({ name, b, c: 'service_healthy' });
    }
  });

  it('publishes the brokers and replicas on loopback only, each on a port of its own', () => {
    const hostPorts = Object.values(compose).flatMap((s) =>
      (s.ports ?? []).map((raw) => publishedPort(raw)),
    );
    const seen = hostPorts.map((p) => p.hostPort).filter((p) => p !== undefined);
    expect(new Set(seen).size).toBe(seen.length);
    for (const name of ['kafka-2', 'kafka-3', 'session-2', 'presence-2', 'storage-2']) {
      for (const raw of compose[name]?.ports ?? []) {
        expect(publishedPort(raw).hostIp).toBe('127.0.0.1');
      }
    }
  });
});
