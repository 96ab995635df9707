import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  DEFAULT_STACK_OPTIONS,
  defineStack,
  SERVICE_NODE_FLAGS,
  type ServiceKind,
  STACK_ENV_VARS,
} from './stack-definition';

/**
 * docker-compose.yml must describe the same stack as the launcher (stack-definition.ts): same
 * services, same variables, same ports, same Kafka rules. Runs in `npm test` without Docker.
 */
const ROOT = join(__dirname, '..', '..');

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const composeService = z.object({
  image: z.string().optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  environment: z.union([z.record(scalar), z.array(z.string())]).optional(),
  deploy: z.object({ replicas: z.number().optional() }).optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.object({ condition: z.string().optional() }))])
    .optional(),
  healthcheck: z.object({ test: z.union([z.string(), z.array(z.string())]) }).optional(),
  ports: z.array(z.union([z.string(), z.number()])).optional(),
});
type ComposeService = z.infer<typeof composeService>;
const composeFile = z.object({ services: z.record(composeService) });

function loadCompose(): Record<string, ComposeService> {
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  return composeFile.parse(parse(text, { merge: true })).services;
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
  const service = (name: string): ComposeService => {
    const s = compose[name];
    if (s === undefined) throw new Error(`docker-compose.yml has no service "${name}"`);
    return s;
  };

  it('has a service for every kind the launcher starts', () => {
    expect(kinds.length).toBeGreaterThan(0);
    for (const kind of kinds) expect(Object.keys(compose)).toContain(kind);
  });

  it('runs at least as many gateway replicas as the launcher runs gateways (and >= 2)', () => {
    const replicas = service('gateway').deploy?.replicas ?? 1;
    expect(replicas).toBeGreaterThanOrEqual(2);
    expect(replicas).toBeGreaterThanOrEqual(DEFAULT_STACK_OPTIONS.gateways);
  });

  it.each(Object.keys(STACK_ENV_VARS) as ServiceKind[])(
    '%s: carries exactly the variables of STACK_ENV_VARS',
    (kind) => {
      const env = environment(service(kind));
      const missing = STACK_ENV_VARS[kind].filter((v) => !env.has(v));
      expect({ kind, missing }).toEqual({ kind, missing: [] });
      const unknown = [...env.keys()].filter((v) => !STACK_ENV_VARS[kind].includes(v));
      expect({ kind, unknownToLauncher: unknown }).toEqual({ kind, unknownToLauncher: [] });
    },
  );

  it.each(kinds)('%s: runs the same entry point on the same port as the launcher', (kind) => {
    const def = definitions.find((d) => d.kind === kind);
    const s = service(kind);
    expect(commandLine(s)).toContain(`node ${SERVICE_NODE_FLAGS.join(' ')} ${def?.entry}`);
    expect(environment(s).get('PORT')).toBe(String(def?.port));
  });

  it.each(kinds)('%s: waits for a healthy Kafka and for the topics job to finish', (kind) => {
    const deps = dependsOn(service(kind));
    expect(deps.get('kafka')).toBe('service_healthy');
    expect(deps.get('topics')).toBe('service_completed_successfully');
    for (const [name, condition] of deps) {
      if (name !== 'topics')
        expect({ name, condition }).toEqual({ name, condition: 'service_healthy' });
    }
    expect(service(kind).healthcheck).toBeDefined();
  });

  it('runs the Kafka version the local broker runs, in KRaft mode, with auto-create off', () => {
    const kafka = service('kafka');
    const pom = readFileSync(join(ROOT, 'infra', 'kafka', 'pom.xml'), 'utf8');
    const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
    expect(kafka.image).toBe(`apache/kafka:${version ?? '(no kafka.version in pom.xml)'}`);
    const env = environment(kafka);
    expect(env.get('KAFKA_AUTO_CREATE_TOPICS_ENABLE')).toBe('false');
    expect(env.get('KAFKA_PROCESS_ROLES')).toBe('broker,controller');
    expect(env.get('KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR')).toBe('1');
    expect(kafka.healthcheck).toBeDefined();
  });

  it('points every service at an advertised Kafka listener', () => {
    const advertised = environment(service('kafka')).get('KAFKA_ADVERTISED_LISTENERS') ?? '';
    for (const name of [...kinds, 'topics']) {
      const brokers = environment(service(name)).get('KAFKA_BROKERS') ?? '';
      expect(brokers).not.toBe('');
      for (const b of brokers.split(',')) expect(advertised).toContain(`://${b}`);
    }
  });

  it('publishes only the gateways on every interface: internal services and Kafka on loopback', () => {
    for (const [name, s] of Object.entries(compose)) {
      if (name === 'gateway') continue;
      for (const port of s.ports ?? []) {
        expect({ name, port: String(port) }).toEqual({
          name,
          port: expect.stringMatching(/^127\.0\.0\.1:/),
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
