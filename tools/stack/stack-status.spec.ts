import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectStatus, formatStatus, statusOptionsFromEnv } from './stack-status';
import type { ServiceDefinition } from './stack-definition';

/** A real HTTP server answering /health/ready with a fixed status and body. */
async function healthServer(status: number, body: unknown): Promise<Server> {
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/health/ready' ? status : 404;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const portOf = (s: Server) => (s.address() as AddressInfo).port;
const close = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));

function service(name: string, port: number): ServiceDefinition {
  return { kind: 'gateway', name, entry: 'dist/apps/gateway/src/main.js', port, env: {} };
}

describe('collectStatus', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map(close));
  });

  it('classifies ready, not ready (with failing checks) and down services; unreachable Kafka is a problem', async () => {
    const ready = await healthServer(200, {
      status: 'ready',
      service: 'gateway',
      checks: { kafka: { status: 'up' } },
    });
    const notReady = await healthServer(503, {
      status: 'not_ready',
      service: 'presence',
      checks: {
        kafka: { status: 'up' },
        redis: { status: 'down', error: 'redis did not answer within 2000 ms' },
      },
    });
    const gone = await healthServer(200, {});
    const downPort = portOf(gone);
    await close(gone);
    servers.push(ready, notReady);

    const status = await collectStatus({
      services: [
        service('a', portOf(ready)),
        service('b', portOf(notReady)),
        service('c', downPort),
      ],
      host: '127.0.0.1',
      brokers: ['127.0.0.1:1'],
      timeoutMs: 1000,
    });

    expect(status.services.map((s) => [s.name, s.state])).toEqual([
      ['a', 'ready'],
      ['b', 'not ready'],
      ['c', 'down'],
    ]);
    expect(status.services[1].failing).toEqual([
      { check: 'redis', error: 'redis did not answer within 2000 ms' },
    ]);
    expect(status.services[2].error).toBe('ECONNREFUSED');
    expect(status.kafka.reachable).toBe(false);
    expect(status.ok).toBe(false);
    expect(status.problems).toEqual([
      'b is not ready',
      'c is down (ECONNREFUSED)',
      expect.stringContaining('Kafka unreachable'),
    ]);

    const text = formatStatus(status);
    expect(text).toContain('redis: redis did not answer within 2000 ms');
    expect(text).toContain('UNREACHABLE');
    expect(text).toContain('NOT READY:');
  });

  it('treats an answer that is not a readiness report as down', async () => {
    const odd = await healthServer(200, ['not', 'a', 'report']);
    servers.push(odd);
    const status = await collectStatus({
      services: [service('odd', portOf(odd))],
      host: '0.0.0.0',
      brokers: ['127.0.0.1:1'],
      timeoutMs: 1000,
    });
    expect(status.services[0]).toMatchObject({
      url: `http://127.0.0.1:${portOf(odd)}`,
      state: 'down',
      error: 'unexpected answer from /health/ready (200)',
    });
  });
});

describe('statusOptionsFromEnv', () => {
  it('applies PARLEY_GATEWAYS, PARLEY_BASE_PORT and KAFKA_BROKERS like the launcher', () => {
    const opts = statusOptionsFromEnv({
      PARLEY_GATEWAYS: '3',
      PARLEY_BASE_PORT: '4000',
      KAFKA_BROKERS: 'k1:9092,k2:9092',
    });
    expect(opts.services.map((s) => `${s.name}:${s.port}`)).toEqual([
      'gateway-1:4000',
      'gateway-2:4001',
      'gateway-3:4002',
      'session:4010',
      'presence:4011',
      'storage:4012',
    ]);
    expect(opts.brokers).toEqual(['k1:9092', 'k2:9092']);
  });

  it('applies PARLEY_REPLICAS and PARLEY_KAFKA_BROKERS: replicas 100 ports up, the three local brokers', () => {
    const opts = statusOptionsFromEnv({ PARLEY_REPLICAS: '2', PARLEY_KAFKA_BROKERS: '3' });
    expect(opts.services.map((s) => `${s.name}:${s.port}`)).toEqual([
      'gateway-1:3000',
      'gateway-2:3001',
      'session:3010',
      'presence:3011',
      'storage:3012',
      'session-2:3110',
      'presence-2:3111',
      'storage-2:3112',
    ]);
    expect(opts.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093', '127.0.0.1:9094']);
  });

  it('rejects a bad override, naming it', () => {
    expect(() => statusOptionsFromEnv({ PARLEY_GATEWAYS: 'two' })).toThrow('PARLEY_GATEWAYS');
    expect(() => statusOptionsFromEnv({ PARLEY_GATEWAYS: '11' })).toThrow('at most 10 gateways');
    expect(() => statusOptionsFromEnv({ PARLEY_REPLICAS: '0' })).toThrow('PARLEY_REPLICAS');
    expect(() => statusOptionsFromEnv({ PARLEY_KAFKA_BROKERS: '2' })).toThrow(
      'PARLEY_KAFKA_BROKERS must be 1 or 3',
    );
  });
});
