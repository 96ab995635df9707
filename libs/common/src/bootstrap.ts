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
  app.enableShutdownHooks();
  options.configure?.(app);
  if (options.transport) {
    app.connectMicroservice({ strategy: options.transport }, { inheritAppConfig: true });
    await app.startAllMicroservices();
  }
  await app.listen(options.port, options.host);
  new NestLogger('Bootstrap').log(
    { service: options.service, url: `http://${options.host}:${options.port}` },
    `${options.service} listening`,
  );
  return app;
}

/** Prints a config/start-up error plainly (no stack for config errors) and exits non-zero. */
export function exitOnStartupError(service: string, err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`[${service}] failed to start: ${message}\n`);
  process.exit(1);
}
