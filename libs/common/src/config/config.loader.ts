import { z } from 'zod';

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigValidationError';
  }
}

/**
 * Parses the environment through one schema per service. Every problem names its variable, and
 * values are never echoed (they may be secrets). Defaults make the local stack work unset.
 */
export function loadConfig<S extends z.ZodTypeAny>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigValidationError(
      result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`),
    );
  }
  return result.data as z.output<S>;
}

const port = z.coerce.number().int().min(1).max(65535);
const url = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine((v) => protocols.some((p) => v.startsWith(`${p}://`)), {
      message: `must be a ${protocols.join(' or ')} URL`,
    });

/** Fragments every service schema is composed from, so one variable means one thing everywhere. */
export const commonEnv = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((v) => v.split(',').map((s) => s.trim()))
    .pipe(z.array(z.string().regex(/^[\w.-]+:\d+$/, 'must be host:port[,host:port...]')).min(1)),
  HOST: z.string().default('127.0.0.1'),
};
export const databaseEnv = {
  DATABASE_URL: url(['postgres', 'postgresql']).default(
    'postgres://postgres@127.0.0.1:5432/parley',
  ),
};
export const redisEnv = {
  REDIS_URL: url(['redis', 'rediss']).default('redis://127.0.0.1:6379/0'),
};
export const portEnv = (defaultPort: number) => ({ PORT: port.default(defaultPort) });
