import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { DataSource, type MigrationInterface } from 'typeorm';
import type * as Database from '@parley/common/database';
import { GATEWAY_MIGRATIONS } from '../../apps/gateway/src/migrations';
import { PRESENCE_MIGRATIONS } from '../../apps/presence/src/migrations';
import { STORAGE_MIGRATIONS } from '../../apps/storage/src/migrations';
import { REPO_TEST_DATABASE_URL } from './repo-test-db';

type MigrationClass = new () => MigrationInterface;

/** Every service that owns tables, with its migrations (the lists its app module runs). */
const SERVICES: readonly { owner: string; migrations: readonly MigrationClass[] }[] = [
  { owner: 'gateway', migrations: GATEWAY_MIGRATIONS },
  { owner: 'presence', migrations: PRESENCE_MIGRATIONS },
  { owner: 'storage', migrations: STORAGE_MIGRATIONS },
];

/** A migration's timestamp: the 13 digits TypeORM itself reads from the end of the class name. */
function timestampOf(migration: MigrationClass): number {
  const match = /(\d{13})$/.exec(migration.name);
  if (!match) throw new Error(`migration ${migration.name} has no timestamp`);
  return Number(match[1]);
}

/**
 * The runs that replay how a fresh deployment migrates: all migrations by timestamp across
 * services, each consecutive stretch of one service's migrations one run of that service's
 * MigrationRunner (its own `migrations_<service>` table and advisory lock), e.g. gateway
 * (accounts), presence, storage, gateway (contacts, skeleton).
 */
function migrationSteps(): { owner: string; migrations: MigrationClass[]; adds: string[] }[] {
  const all = SERVICES.flatMap(({ owner, migrations }) =>
    migrations.map((migration) => ({ owner, migration, timestamp: timestampOf(migration) })),
  ).sort((a, b) => a.timestamp - b.timestamp);
  const steps: { owner: string; upTo: number; adds: string[] }[] = [];
  all.forEach((entry, i) => {
    if (i > 0 && all[i - 1].timestamp === entry.timestamp) {
      throw new Error(`two migrations share the timestamp ${entry.timestamp}: order is ambiguous`);
    }
    const last = steps[steps.length - 1];
    if (last?.owner === entry.owner) {
      last.upTo = entry.timestamp;
      last.adds.push(entry.migration.name);
    } else {
      steps.push({ owner: entry.owner, upTo: entry.timestamp, adds: [entry.migration.name] });
    }
  });
  return steps.map(({ owner, upTo, adds }) => ({
    owner,
    adds,
    migrations: (SERVICES.find((s) => s.owner === owner)?.migrations ?? []).filter(
      (m) => timestampOf(m) <= upTo,
    ),
  }));
}

/**
 * The `db` project's set-up, once per run: a fresh `parley_repo_test` database with every
 * service's real migrations applied by the services' own MigrationRunner. Repository specs then
 * share it; each makes its own rows (unique ids and names), so files may run in parallel.
 */
export default async function globalSetup(): Promise<void> {
  // Aliases (@parley/*) do not resolve in a global set-up: load the library by path.
  const { recreateDatabase, MigrationRunner } = (await import(
    join(__dirname, '..', '..', 'libs', 'common', 'src', 'database')
  )) as typeof Database;
  await recreateDatabase(REPO_TEST_DATABASE_URL);
  // The runner logs each applied batch through Nest; one line below says it all.
  Logger.overrideLogger(false);
  const steps = migrationSteps();
  for (const { owner, migrations } of steps) {
    const dataSource = new DataSource({
      type: 'postgres',
      url: REPO_TEST_DATABASE_URL,
      entities: [],
      migrations,
      migrationsTableName: `migrations_${owner}`,
      synchronize: false,
      logging: false,
    });
    await dataSource.initialize();
    try {
      await new MigrationRunner(dataSource, { owner }).onModuleInit();
      const applied = await dataSource.query<{ name: string }[]>(
        `SELECT name FROM migrations_${owner} ORDER BY timestamp`,
      );
      const expected = migrations.map((m) => new m().name ?? m.name);
      if (applied.map((r) => r.name).join() !== expected.join()) {
        throw new Error(`${owner}: applied ${applied.map((r) => r.name).join()}`);
      }
    } finally {
      await dataSource.destroy();
    }
  }
  const database = new URL(REPO_TEST_DATABASE_URL).pathname.slice(1);
  process.stdout.write(
    `[db] ${database} migrated: ${steps.map((s) => `${s.owner} (${s.adds.join(', ')})`).join(', ')}\n`,
  );
}
