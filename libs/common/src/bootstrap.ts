import {
  INestApplication,
  Logger as NestLogger,
  NestApplicationOptions,
  Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CustomTransportStrategy } from '@nestjs/microservices';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { json } from 'express';
import { createServer, type RequestListener } from 'node:http';
import { Logger } from 'nestjs-pino';
import type { HttpServerLimits } from './config/config.loader';
import { AllExceptionsFilter } from './errors/all-exceptions.filter';
import { periodic, type StopPeriodic } from './timing/periodic';

export interface BootstrapOptions {
  service: string;
  host: string;
  port: number;
  /**
   * The Kafka batch transports (libs/kafka), for services that consume topics: one per consumer
   * group.
   */
  transports?: CustomTransportStrategy[];
  /** Largest accepted JSON body. */
  bodyLimit?: string;
  /** Called with the app before it listens (e.g. to attach a WebSocket adapter). */
  configure?: (app: INestApplication) => void;
  /** Timeouts and the connection cap of the HTTP server (httpServerLimits(config)). */
  http: HttpServerLimits;
}

/** Request heads with more header lines than this are refused (Node's default is 2,000). */
const MAX_HEADERS_COUNT = 100;

/**
 * Any rejection nobody handled, and any exception nobody caught, is logged with its stack (the
 * context to find it). A stray rejection is a bug in one request's path: the process keeps
 * serving everyone else. An uncaught exception may have left state half-changed: the process
 * exits non-zero after logging it, and its supervisor restarts it.
 */
export function installProcessHandlers(
  service: string,
  logger: Pick<NestLogger, 'error' | 'fatal'>,
  exit: (code: number) => void = (code) => process.exit(code),
): () => void {
  const onRejection = (reason: unknown) => {
    logger.error({ service, err: reason }, 'unhandled promise rejection (process keeps running)');
  };
  const onException = (err: Error, origin: string) => {
    logger.fatal({ service, err, origin }, 'uncaught exception; exiting');
    exit(1);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}

/** How often Node checks requests against their timeouts (its default is every 30 s). */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/**
 * Express, on an HTTP server built with Parley's limits. Node's defaults leave slow clients
 * connected for minutes (a request head may take 60 s, a body 300 s, checked every 30 s) and
 * accept any number of connections: every limit is set here, and some can only be set when the
 * server is created.
 */
class LimitedExpressAdapter extends ExpressAdapter {
  constructor(private readonly limits: HttpServerLimits) {
    super();
  }

  override initHttpServer(_options: NestApplicationOptions): void {
    const server = createServer(
      {
        headersTimeout: this.limits.headersTimeoutMs,
        requestTimeout: this.limits.requestTimeoutMs,
        keepAliveTimeout: this.limits.keepAliveTimeoutMs,
        connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
      },
      this.getInstance<RequestListener>(),
    );
    server.maxConnections = this.limits.maxConnections;
    server.maxHeadersCount = MAX_HEADERS_COUNT;
    this.httpServer = server;
  }
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
  const app = await NestFactory.create(module, new LimitedExpressAdapter(options.http), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  const logger = new NestLogger('Bootstrap');
  installProcessHandlers(options.service, logger);
  const express = app.getHttpAdapter().getInstance() as { disable(setting: string): void };
  // No framework banner on every answer.
  express.disable('x-powered-by');
  // No ETag on JSON answers (a SHA-1 of each body): they are not cached (the gateway's carry
  // `Cache-Control: no-store`), so none is ever asked for again. Static files keep their own.
  express.disable('etag');
  app.use(json({ limit: options.bodyLimit ?? '16kb' }));
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.useGlobalFilters(new AllExceptionsFilter());
  options.configure?.(app);
  // Run start-up hooks (migrations, producer connections) before any consumer takes a batch.
  await app.init();
  if (options.transports && options.transports.length > 0) {
    for (const strategy of options.transports) {
      app.connectMicroservice({ strategy }, { inheritAppConfig: true });
    }
    await app.startAllMicroservices();
  }
  await app.listen(options.port, options.host);
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
  exitWithParent(service, logger, () => shutdown('SIGTERM'));
}

/**
 * Under the stack launcher (it sets PARLEY_PARENT_PID to its own pid) a service shuts down cleanly
 * when the launcher is gone, however it went (killed, its terminal closed): no service outlives
 * the launcher that supervises it. Checked once a second; the timer never keeps the process up.
 */
export function exitWithParent(
  service: string,
  logger: Pick<NestLogger, 'warn'>,
  shutdown: () => void,
  parentPid = Number(process.env.PARLEY_PARENT_PID ?? 0),
  currentParent: () => number = () => process.ppid,
): StopPeriodic | undefined {
  if (!Number.isInteger(parentPid) || parentPid <= 0) return undefined;
  const stop = periodic(1000, () => {
    if (currentParent() === parentPid) return;
    stop();
    logger.warn({ service, parentPid }, `${service}: the launcher is gone; shutting down`);
    shutdown();
  });
  return stop;
}

/** Prints a config/start-up error plainly (no stack for config errors) and exits non-zero. */
export function exitOnStartupError(service: string, err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`[${service}] failed to start: ${message}\n`);
  process.exit(1);
}
