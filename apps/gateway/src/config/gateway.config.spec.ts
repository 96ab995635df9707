import { ConfigValidationError } from '@parley/common';
import { DEV_JWT_SECRET, loadGatewayConfig } from './gateway.config';

describe('gateway config', () => {
  it('fills every default for an empty development environment', () => {
    const config = loadGatewayConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      HOST: '127.0.0.1',
      GATEWAY_ID: 'gateway-3000',
      GATEWAY_PUBLIC_URL: 'ws://127.0.0.1:3000/ws',
      JWT_SECRET: DEV_JWT_SECRET,
      JWT_ACCESS_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_DAYS: 30,
      LOGIN_THROTTLE_MAX_FAILURES: 5,
      LOGIN_THROTTLE_WINDOW_SECONDS: 900,
      GATEWAY_HEARTBEAT_MS: 3000,
      KAFKA_BROKERS: ['127.0.0.1:9092'],
    });
  });

  it('defaults the messaging limits', () => {
    expect(loadGatewayConfig({})).toMatchObject({
      CONNECT_TICKET_TTL_SECONDS: 30,
      WS_MAX_PAYLOAD_BYTES: 16384,
      WS_PING_INTERVAL_MS: 15000,
      WS_MAX_QUEUED_FRAMES: 4096,
      MESSAGE_MAX_LENGTH: 4000,
      KAFKA_PUBLISH_TIMEOUT_MS: 10000,
      KAFKA_LINGER_MS: 2,
      KAFKA_MAX_PENDING: 10000,
      SYNC_PAGE_SIZE: 200,
    });
    expect(() => loadGatewayConfig({ SYNC_PAGE_SIZE: '501' })).toThrow(/SYNC_PAGE_SIZE/);
    expect(loadGatewayConfig({ KAFKA_LINGER_MS: '0' }).KAFKA_LINGER_MS).toBe(0);
    expect(() => loadGatewayConfig({ KAFKA_LINGER_MS: '-1' })).toThrow(/KAFKA_LINGER_MS/);
    expect(() => loadGatewayConfig({ KAFKA_MAX_PENDING: '0' })).toThrow(/KAFKA_MAX_PENDING/);
  });

  it('derives the gateway id and public URL from HOST and PORT', () => {
    const config = loadGatewayConfig({ HOST: '10.0.0.5', PORT: '3401' });
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

  it('requires a JWT secret in production, naming the variable without echoing values', () => {
    expect(() => loadGatewayConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: is required/);
    expect(() => loadGatewayConfig({ NODE_ENV: 'production', JWT_SECRET: DEV_JWT_SECRET })).toThrow(
      /JWT_SECRET: must not be the development default/,
    );
    const secret = 's'.repeat(32);
    expect(loadGatewayConfig({ NODE_ENV: 'production', JWT_SECRET: secret }).JWT_SECRET).toBe(
      secret,
    );
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

  it('rejects a public URL that is not a WebSocket URL', () => {
    expect(() => loadGatewayConfig({ GATEWAY_PUBLIC_URL: 'http://x:1/ws' })).toThrow(
      /GATEWAY_PUBLIC_URL/,
    );
  });
});
