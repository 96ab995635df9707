import { INestApplication, Logger as NestLogger, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CustomTransportStrategy } from '@nestjs/microservices';
import type { NextFunction, Request, Response } from 'express';
import { json } from 'express';
import { Logger } from 'nestjs-pino';
import { AllExceptionsFilter } from './errors/all-exceptions.filter';

export interface BootstrapOptions {
  service: string;
  host: string;
  port: number;
  /** The Kafka batch transport (libs/kafka), for services that consume topics. */
  transport?: CustomTransportStrategy;
  /** Largest accepted JSON body. */
  bodyLimit?: string;
  /** Called with the app before it listens (e.g. to attach a WebSocket adapter). */
  configure?: (app: INestApplication) => void;
}

/**
 * Starts one Parley service: HTTP (health, metrics, and the gateway's API) plus, where given, the
 * Kafka consumer transport. SIGTERM/SIGINT close it in order: HTTP and consumers first (in-flight
 * batches drain and commit), then producers, then PostgreSQL and Redis.
 */
export async function bootstrapService(
  module: Type<unknown>,
  options: BootstrapOptions,
): Promise<INestApplication> {
  const app = await NestFactory.create(module, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.use(json({ limit: options.bodyLimit ?? '16kb' }));
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.useGlobalFilters(new AllExceptionsFilter());
  options.configure?.(app);
  // Run start-up hooks (migrations, producer connections) before any consumer takes a batch.
  await app.init();
  if (options.transport) {
    app.connectMicroservice({ strategy: options.transport }, { inheritAppConfig: true });
    await app.startAllMicroservices();
  }
  await app.listen(options.port, options.host);
  const logger = new NestLogger('Bootstrap');
  logger.log(
    { service: options.service, url: `http://${options.host}:${options.port}` },
    `${options.service} listening`,
  );
  exitOnSignal(app, options.service, logger);
  return app;
}

const SHUTDOWN_TIMEOUT_MS = 25_000;

/**
 * SIGTERM/SIGINT: close the app (consumers drain and commit, producers flush, then PostgreSQL and
 * Redis close) and exit 0; exit 1 if that fails or takes longer than SHUTDOWN_TIMEOUT_MS.
 */
function exitOnSignal(app: INestApplication, service: string, logger: NestLogger): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log({ service, signal }, `${service} shutting down`);
    setTimeout(() => {
      process.stderr.write(`[${service}] shutdown took over ${SHUTDOWN_TIMEOUT_MS} ms; exiting\n`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ service, err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

/** Prints a config/start-up error plainly (no stack for config errors) and exits non-zero. */
export function exitOnStartupError(service: string, err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`[${service}] failed to start: ${message}\n`);
  process.exit(1);
}
