import { ConfigValidationError } from '@parley/common';
import { loadPresenceConfig } from './presence.config';

describe('presence config', () => {
  it('fills every default for an empty environment', () => {
    expect(loadPresenceConfig({})).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3011,
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      KAFKA_SESSION_TIMEOUT_MS: 6000,
      // A connection storm is taken in few fetches; typing stays inside its second.
      KAFKA_FETCH_LINGER_MS: 100,
      PRESENCE_OFFLINE_GRACE_MS: 5000,
      PRESENCE_SWEEP_MS: 1000,
      PRESENCE_WRITE_INTERVAL_MS: 60_000,
      TYPING_MAX_DELAY_MS: 1000,
    });
  });

  it('takes a Kafka session timeout between the broker minimum (6 s) and 5 minutes', () => {
    expect(loadPresenceConfig({ KAFKA_SESSION_TIMEOUT_MS: '6000' }).KAFKA_SESSION_TIMEOUT_MS).toBe(
      6000,
    );
    expect(
      loadPresenceConfig({ KAFKA_SESSION_TIMEOUT_MS: '300000' }).KAFKA_SESSION_TIMEOUT_MS,
    ).toBe(300000);
    for (const bad of ['5999', '300001', '6000.5', 'soon']) {
      expect(() => loadPresenceConfig({ KAFKA_SESSION_TIMEOUT_MS: bad })).toThrow(
        ConfigValidationError,
      );
      expect(() => loadPresenceConfig({ KAFKA_SESSION_TIMEOUT_MS: bad })).toThrow(
        /KAFKA_SESSION_TIMEOUT_MS/,
      );
    }
  });
});
