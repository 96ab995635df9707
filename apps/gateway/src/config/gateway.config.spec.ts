import { ConfigValidationError } from '@parley/common';
import { loadGatewayConfig, PUBLISHED_JWT_SECRETS } from './gateway.config';

const SECRET = 'k'.repeat(40);

describe('gateway config', () => {
  it('fills every default for an empty development environment', () => {
    const config = loadGatewayConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      HOST: '127.0.0.1',
      GATEWAY_ID: 'gateway-3000',
      GATEWAY_PUBLIC_URL: 'ws://127.0.0.1:3000/ws',
      JWT_ACCESS_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_DAYS: 30,
      LOGIN_THROTTLE_MAX_FAILURES: 5,
      LOGIN_THROTTLE_WINDOW_SECONDS: 900,
      GATEWAY_HEARTBEAT_MS: 1000,
      KAFKA_BROKERS: ['127.0.0.1:9092'],
    });
  });

  it('defaults the messaging limits', () => {
    expect(loadGatewayConfig({})).toMatchObject({
      CONNECT_TICKET_TTL_SECONDS: 30,
      WS_MAX_PAYLOAD_BYTES: 40960,
      WS_PING_INTERVAL_MS: 25000,
      GATEWAY_HEARTBEAT_MS: 1000,
      GATEWAY_HEARTBEAT_IDLE_MS: 3000,
      WS_MAX_QUEUED_FRAMES: 4096,
      WS_MAX_QUEUED_BYTES: 1048576,
      WS_MAX_BUFFERED_BYTES: 1048576,
      MAX_SOCKETS_PER_USER: 16,
      SEND_RATE_PER_SOCKET: 20,
      SEND_RATE_PER_USER: 30,
      MESSAGE_MAX_LENGTH: 4000,
      KAFKA_PUBLISH_TIMEOUT_MS: 10000,
      KAFKA_LINGER_MS: 2,
      KAFKA_LINGER_MIN_RATE: 200,
      KAFKA_MAX_PENDING: 10000,
      SYNC_PAGE_SIZE: 200,
    });
    expect(() => loadGatewayConfig({ SYNC_PAGE_SIZE: '501' })).toThrow(/SYNC_PAGE_SIZE/);
    expect(loadGatewayConfig({ KAFKA_LINGER_MS: '0' }).KAFKA_LINGER_MS).toBe(0);
    expect(() => loadGatewayConfig({ KAFKA_LINGER_MS: '-1' })).toThrow(/KAFKA_LINGER_MS/);
    const minRate = (value: string) =>
      loadGatewayConfig({ KAFKA_LINGER_MIN_RATE: value }).KAFKA_LINGER_MIN_RATE;
    expect(minRate('0')).toBe(0);
    expect(minRate('1000000')).toBe(1_000_000);
    for (const bad of ['-1', '1000001', '2.5', 'busy']) {
      expect(() => minRate(bad)).toThrow(/KAFKA_LINGER_MIN_RATE/);
    }
    expect(() => loadGatewayConfig({ KAFKA_MAX_PENDING: '0' })).toThrow(/KAFKA_MAX_PENDING/);
  });

  it('derives the gateway id and public URL from HOST and PORT', () => {
    const config = loadGatewayConfig({ HOST: '10.0.0.5', PORT: '3401', JWT_SECRET: SECRET });
    expect(config.GATEWAY_ID).toBe('gateway-3401');
    expect(config.GATEWAY_PUBLIC_URL).toBe('ws://10.0.0.5:3401/ws');
  });

  it('keeps explicit values', () => {
    const config = loadGatewayConfig({
      GATEWAY_ID: 'gateway-1',
      GATEWAY_PUBLIC_URL: 'wss://chat.example.org/ws',
      JWT_SECRET: 'x'.repeat(40),
    });
    expect(config.GATEWAY_ID).toBe('gateway-1');
    expect(config.GATEWAY_PUBLIC_URL).toBe('wss://chat.example.org/ws');
    expect(config.JWT_SECRET).toBe('x'.repeat(40));
  });

  it('makes a random secret for a loopback development gateway, a new one per process', () => {
    const a = loadGatewayConfig({});
    const b = loadGatewayConfig({ NODE_ENV: 'test', HOST: 'localhost' });
    expect(a.JWT_SECRET_EPHEMERAL).toBe(true);
    expect(a.JWT_SECRET).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.JWT_SECRET).not.toBe(a.JWT_SECRET);
    expect(loadGatewayConfig({ JWT_SECRET: SECRET })).toMatchObject({
      JWT_SECRET: SECRET,
      JWT_SECRET_EPHEMERAL: false,
    });
  });

  it('refuses to start without a secret in production or on a non-loopback address', () => {
    for (const env of [
      { NODE_ENV: 'production' },
      { NODE_ENV: 'production', HOST: '127.0.0.1' },
      { HOST: '0.0.0.0' },
      { NODE_ENV: 'test', HOST: '10.0.0.5' },
    ]) {
      expect(() => loadGatewayConfig(env)).toThrow(/JWT_SECRET: is required/);
    }
    expect(
      loadGatewayConfig({ NODE_ENV: 'production', HOST: '0.0.0.0', JWT_SECRET: SECRET }),
    ).toMatchObject({ JWT_SECRET: SECRET });
  });

  it('refuses the secret that was once published as the development default, everywhere', () => {
    for (const NODE_ENV of ['development', 'test', 'production']) {
      expect(() => loadGatewayConfig({ NODE_ENV, JWT_SECRET: PUBLISHED_JWT_SECRETS[0] })).toThrow(
        /JWT_SECRET: is a secret published in Parley's source/,
      );
    }
  });

  it("allows WebSocket origins from a list, defaulting to the public URL's own origin", () => {
    expect(loadGatewayConfig({}).WS_ALLOWED_ORIGINS).toEqual(['http://127.0.0.1:3000']);
    expect(
      loadGatewayConfig({ GATEWAY_PUBLIC_URL: 'wss://chat.example.org/ws' }).WS_ALLOWED_ORIGINS,
    ).toEqual(['https://chat.example.org']);
    expect(
      loadGatewayConfig({ WS_ALLOWED_ORIGINS: 'http://a:1, https://b.example' }).WS_ALLOWED_ORIGINS,
    ).toEqual(['http://a:1', 'https://b.example']);
    expect(() => loadGatewayConfig({ WS_ALLOWED_ORIGINS: 'http://a/path' })).toThrow(
      /WS_ALLOWED_ORIGINS/,
    );
  });

  it('trusts no proxy unless told to', () => {
    expect(loadGatewayConfig({}).TRUST_PROXY).toBe('false');
  });

  it('rejects short secrets and bad numbers, one problem per variable', () => {
    try {
      loadGatewayConfig({ JWT_SECRET: 'short-secret', LOGIN_THROTTLE_MAX_FAILURES: 'many' });
      throw new Error('expected a ConfigValidationError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigValidationError);
      const problems = (err as ConfigValidationError).problems;
      expect(problems.some((p) => p.startsWith('JWT_SECRET:'))).toBe(true);
      expect(problems.some((p) => p.startsWith('LOGIN_THROTTLE_MAX_FAILURES:'))).toBe(true);
      expect(problems.join('\n')).not.toContain('short-secret');
    }
  });

  it('names a short secret once, also where a secret is required', () => {
    try {
      loadGatewayConfig({ NODE_ENV: 'production', JWT_SECRET: 'short-secret' });
      throw new Error('expected a ConfigValidationError');
    } catch (err) {
      expect((err as ConfigValidationError).problems).toEqual([
        'JWT_SECRET: must be at least 32 characters',
      ]);
    }
  });

  it('reports a value out of range as a problem, never as a crash of what is derived from it', () => {
    expect(() => loadGatewayConfig({ PORT: '65536' })).toThrow(ConfigValidationError);
    expect(() => loadGatewayConfig({ PORT: '65536' })).toThrow(/PORT: /);
  });

  it('keeps URLs as written', () => {
    const config = loadGatewayConfig({
      GATEWAY_PUBLIC_URL: 'wss://Chat.Example.ORG/ws',
      DATABASE_URL: 'postgres://parley:p%40ss@DB:5432/parley',
      REDIS_URL: 'redis://Cache:6379/0',
    });
    expect(config).toMatchObject({
      GATEWAY_PUBLIC_URL: 'wss://Chat.Example.ORG/ws',
      DATABASE_URL: 'postgres://parley:p%40ss@DB:5432/parley',
      REDIS_URL: 'redis://Cache:6379/0',
    });
  });

  it('rejects a public URL that is not a WebSocket URL', () => {
    expect(() => loadGatewayConfig({ GATEWAY_PUBLIC_URL: 'http://x:1/ws' })).toThrow(
      /GATEWAY_PUBLIC_URL/,
    );
  });
});
