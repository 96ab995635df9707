import { ConfigValidationError } from '@parley/common';
import { loadStorageConfig } from './storage.config';

describe('storage config', () => {
  it('fills every default for an empty environment', () => {
    expect(loadStorageConfig({})).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3012,
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      KAFKA_SESSION_TIMEOUT_MS: 6000,
    });
  });

  it('takes a Kafka session timeout between the broker minimum (6 s) and 5 minutes', () => {
    expect(loadStorageConfig({ KAFKA_SESSION_TIMEOUT_MS: '6000' }).KAFKA_SESSION_TIMEOUT_MS).toBe(
      6000,
    );
    expect(loadStorageConfig({ KAFKA_SESSION_TIMEOUT_MS: '300000' }).KAFKA_SESSION_TIMEOUT_MS).toBe(
      300000,
    );
    for (const bad of ['5999', '300001', '6000.5', 'soon']) {
      expect(() => loadStorageConfig({ KAFKA_SESSION_TIMEOUT_MS: bad })).toThrow(
        ConfigValidationError,
      );
      expect(() => loadStorageConfig({ KAFKA_SESSION_TIMEOUT_MS: bad })).toThrow(
        /KAFKA_SESSION_TIMEOUT_MS/,
      );
    }
  });
});
