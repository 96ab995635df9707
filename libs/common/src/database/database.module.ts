import { DynamicModule, Inject, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource, MixedList, EntitySchema } from 'typeorm';
import { ReadinessCheck } from '../observability/readiness';
import { pgTypeParsers } from './pg-arrays';
import { stallWatchedClient, watchDatabaseStalls } from './stall-watched-client';

export interface DatabaseOptions {
  url: string;
  /** The service that owns these tables; names its migrations table and advisory lock. */
  owner: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  /**
   * How long a connection may be silent with a statement in flight before the server is asked
   * whether it still runs it, and the connection dropped if not (DATABASE_STALL_TIMEOUT_MS); a
   * transaction left idle that long is ended by the server. See stallWatchedClient.
   */
  stallTimeoutMs: number;
}

const DATABASE_OPTIONS = Symbol('DATABASE_OPTIONS');

/** Stable 63-bit key for pg_advisory_lock, derived from the owning service name. */
export function advisoryLockKey(owner: string): string {
  return BigInt.asIntN(
    64,
    BigInt(
      '0x' + createHash('sha256').update(`parley:migrations:${owner}`).digest('hex').slice(0, 16),
    ),
  ).toString();
}

/**
 * Runs the owning service's migrations on start-up, before anything else touches the database.
 * A PostgreSQL advisory lock serialises replicas (two gateways starting together migrate once).
 */
@Injectable()
export class MigrationRunner implements OnModuleInit {
  private readonly logger = new Logger(MigrationRunner.name);

  constructor(
    private readonly dataSource: DataSource,
    @Inject(DATABASE_OPTIONS) private readonly options: Pick<DatabaseOptions, 'owner'>,
  ) {}

  async onModuleInit(): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    const key = advisoryLockKey(this.options.owner);
    try {
      await runner.connect();
      await runner.query('SELECT pg_advisory_lock($1)', [key]);
      const applied = await this.dataSource.runMigrations({ transaction: 'each' });
      if (applied.length > 0) {
        this.logger.log({ migrations: applied.map((m) => m.name) }, 'migrations applied');
      }
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
      await runner.release();
    }
    watchDatabaseStalls();
  }
}

@Injectable()
export class DatabaseReadinessCheck implements ReadinessCheck {
  readonly name = 'postgres';
  constructor(private readonly dataSource: DataSource) {}
  async check(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}

/**
 * The random page cost every service's connections plan with: PostgreSQL's advice for data on
 * SSDs or in memory, where a messenger's working set lives, instead of its default of 4 (spinning
 * disks). Parley's statements read rows by key, and a prepared statement keeps its generic plan
 * until the tables' statistics change: costed at 4, ten key probes cost more than a scan of a
 * table of a couple of thousand rows, so a plan made while a table was that small hashed a scan
 * of it on every call, for as long as the connection kept the plan (storage's append did, until
 * issue 13's fifty-first sitting). At 1.1 a scan wins only for a table of fewer than about 600
 * rows. docs/PERFORMANCE.md, "One cost model for every service".
 */
export const RANDOM_PAGE_COST = '1.1';

/** node-postgres's pool settings for a service (TypeORM's `extra`). */
export function postgresPoolOptions(options: Pick<DatabaseOptions, 'owner' | 'stallTimeoutMs'>) {
  return {
    max: 10,
    connectionTimeoutMillis: 5000,
    // Short OLTP statements only: PostgreSQL's JIT compiled the sync query on every call (43-50
    // ms instead of 0.2-3 ms) once its estimate passed jit_above_cost. A transaction whose client
    // went silent (a stalled connection) is ended by the server, so its locks hold nobody.
    options: [
      '-c jit=off',
      `-c idle_in_transaction_session_timeout=${options.stallTimeoutMs}`,
      `-c random_page_cost=${RANDOM_PAGE_COST}`,
    ].join(' '),
    application_name: `parley-${options.owner}`,
    types: pgTypeParsers,
    Client: stallWatchedClient(options.stallTimeoutMs, new Logger('Database')),
  };
}

/** TypeORM on PostgreSQL: schema only through migrations (never `synchronize`). */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: options.url,
          entities: options.entities,
          migrations: options.migrations,
          migrationsTableName: `migrations_${options.owner}`,
          migrationsRun: false,
          synchronize: false,
          // TypeORM's own logger prints failed queries with their parameters (message text):
          // errors surface as exceptions and are logged by their owners without values.
          logging: false,
          extra: postgresPoolOptions(options),
          // Keep retrying at boot so a service started before PostgreSQL waits instead of dying.
          retryAttempts: 30,
          retryDelay: 1000,
        }),
      ],
      providers: [
        { provide: DATABASE_OPTIONS, useValue: options },
        MigrationRunner,
        DatabaseReadinessCheck,
      ],
      exports: [DatabaseReadinessCheck],
    };
  }
}
