import { ConfigValidationError } from '@parley/common';
import { loadStorageConfig } from './storage.config';

describe('storage config', () => {
  it('fills every default for an empty environment', () => {
    expect(loadStorageConfig({})).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3012,
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      KAFKA_SESSION_TIMEOUT_MS: 6000,
      KAFKA_FETCH_LINGER_MS: 10,
      KAFKA_FETCH_LINGER_MIN_RATE: 200,
      KAFKA_COMMIT_INTERVAL_MS: 200,
      REDIS_URL: 'redis://127.0.0.1:6379/0',
      PARLEY_CLUSTER_ID: 'default',
    });
  });

  it('takes the Redis fan-out publishes to and the stack name its channels carry', () => {
    const config = loadStorageConfig({
      REDIS_URL: 'redis://cache:6380/2',
      PARLEY_CLUSTER_ID: 'prod-1',
    });
    expect(config).toMatchObject({
      REDIS_URL: 'redis://cache:6380/2',
      PARLEY_CLUSTER_ID: 'prod-1',
    });
    expect(() => loadStorageConfig({ REDIS_URL: 'http://cache:6379' })).toThrow(/REDIS_URL/);
    expect(() => loadStorageConfig({ PARLEY_CLUSTER_ID: 'Prod One' })).toThrow(/PARLEY_CLUSTER_ID/);
  });

  it('takes a blob store directory or S3 bucket, an empty key pair meaning none', () => {
    const s3 = 's3://media/parley?endpoint=http://minio:9000&forcePathStyle=true';
    expect(
      loadStorageConfig({
        BLOB_STORE_URL: s3,
        BLOB_STORE_ACCESS_KEY_ID: 'id',
        BLOB_STORE_SECRET_ACCESS_KEY: 'secret',
      }),
    ).toMatchObject({
      BLOB_STORE_URL: s3,
      BLOB_STORE_ACCESS_KEY_ID: 'id',
      BLOB_STORE_SECRET_ACCESS_KEY: 'secret',
    });
    const local = loadStorageConfig({
      BLOB_STORE_URL: 'file:///var/lib/parley/blobs',
      BLOB_STORE_ACCESS_KEY_ID: '',
      BLOB_STORE_SECRET_ACCESS_KEY: '',
    });
    expect(local.BLOB_STORE_ACCESS_KEY_ID).toBeUndefined();
    expect(local.BLOB_STORE_SECRET_ACCESS_KEY).toBeUndefined();
    for (const bad of ['http://x/blobs', 'blobs', 's3://id:secret@media']) {
      expect(() => loadStorageConfig({ BLOB_STORE_URL: bad })).toThrow(/BLOB_STORE_URL/);
    }
  });

  it('takes an offset commit interval from 0 (each at once) to 5 s', () => {
    expect(loadStorageConfig({ KAFKA_COMMIT_INTERVAL_MS: '0' }).KAFKA_COMMIT_INTERVAL_MS).toBe(0);
    expect(loadStorageConfig({ KAFKA_COMMIT_INTERVAL_MS: '5000' }).KAFKA_COMMIT_INTERVAL_MS).toBe(
      5000,
    );
    for (const bad of ['-1', '5001', '0.5', 'often']) {
      expect(() => loadStorageConfig({ KAFKA_COMMIT_INTERVAL_MS: bad })).toThrow(
        /KAFKA_COMMIT_INTERVAL_MS/,
      );
    }
  });

  it('takes a fetch linger from 0 (fetch again at once) to 1 s', () => {
    expect(loadStorageConfig({ KAFKA_FETCH_LINGER_MS: '0' }).KAFKA_FETCH_LINGER_MS).toBe(0);
    expect(loadStorageConfig({ KAFKA_FETCH_LINGER_MS: '1000' }).KAFKA_FETCH_LINGER_MS).toBe(1000);
    for (const bad of ['-1', '1001', '2.5', 'soon']) {
      expect(() => loadStorageConfig({ KAFKA_FETCH_LINGER_MS: bad })).toThrow(
        /KAFKA_FETCH_LINGER_MS/,
      );
    }
  });

  it('takes the rate under which the fetch does not linger, 0 (always lingers) or more', () => {
    const rate = (value: string) =>
      loadStorageConfig({ KAFKA_FETCH_LINGER_MIN_RATE: value }).KAFKA_FETCH_LINGER_MIN_RATE;
    expect(rate('0')).toBe(0);
    expect(rate('1000000')).toBe(1_000_000);
    for (const bad of ['-1', '1000001', '2.5', 'busy']) {
      expect(() => rate(bad)).toThrow(/KAFKA_FETCH_LINGER_MIN_RATE/);
    }
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
