import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import { BlockableProxy } from '@parley/testing';
import { Client, Pool } from 'pg';
import { REPO_TEST_DATABASE_URL } from '../../../../test/db/repo-test-db';
import { postgresPoolOptions } from './database.module';
import {
  FULL_PROBES_BEFORE_DROP,
  probeBackend,
  stallWatchedClient,
  watchDatabaseStalls,
} from './stall-watched-client';

const TIMEOUT_MS = 500;

describe('stallWatchedClient (real PostgreSQL behind a proxy that stalls)', () => {
  const database = new URL(REPO_TEST_DATABASE_URL);
  const proxy = new BlockableProxy(database.hostname, Number(database.port || 5432));
  const logger = new Logger('spec');
  const warnings: unknown[] = [];
  let pool: Pool;

  beforeAll(async () => {
    await proxy.start();
    jest.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(args);
    });
    const url = new URL(REPO_TEST_DATABASE_URL);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    pool = new Pool({
      connectionString: url.toString(),
      max: 2,
      Client: stallWatchedClient(TIMEOUT_MS, logger),
    });
  });

  afterAll(async () => {
    await pool.end();
    await proxy.close();
  });

  // First: the watch is off until the process's migrations are done.
  it('leaves a silent statement alone while migrations may still run', async () => {
    const { rows } = await pool.query<{ ok: number }>(
      `SELECT 1 AS ok FROM pg_sleep(${(3 * TIMEOUT_MS) / 1000})`,
    );
    expect(rows).toEqual([{ ok: 1 }]);
    expect(warnings).toEqual([]);
  });

  it('drops a connection that stopped answering mid-statement; the statement fails and the next one gets a new connection', async () => {
    watchDatabaseStalls();
    const client = await pool.connect();
    let ended = false;
    client.on('error', () => undefined);
    client.on('end', () => (ended = true));
    await client.query('SELECT 1');
    // Idle for longer than the timeout with nothing in flight: left alone.
    await new Promise((resolve) => setTimeout(resolve, 3 * TIMEOUT_MS));
    expect(ended).toBe(false);

    proxy.stall();
    // Without the watch this waits for TCP's keep-alive (hours).
    const answer = client.query('SELECT 2').then(
      () => 'answered',
      (err: Error) => `failed: ${err.message}`,
    );
    const bound = new Promise((resolve) =>
      setTimeout(() => resolve('still waiting'), 20 * TIMEOUT_MS),
    );
    expect(await Promise.race([answer, bound])).toBe(
      `failed: no answer from PostgreSQL in ${TIMEOUT_MS} ms`,
    );
    // Given back as TypeORM gives back a connection whose statement failed: the pool drops it.
    client.release();
    expect(pool.totalCount).toBe(0);
    expect(warnings).toHaveLength(1);

    const { rows } = await pool.query<{ n: number }>('SELECT 3 AS n');
    expect(rows).toEqual([{ n: 3 }]);
  });

  it('waits for a statement the server is still running, however long past the timeout', async () => {
    watchDatabaseStalls();
    warnings.length = 0;
    let ended = false;
    const client = await pool.connect();
    client.on('end', () => (ended = true));
    try {
      // Silent for six timeouts while PostgreSQL works: asked about each time, never dropped (a
      // drop would leave the server running it and a retry running it again beside it).
      const { rows } = await client.query<{ ok: number }>(
        `SELECT 1 AS ok FROM pg_sleep(${(6 * TIMEOUT_MS) / 1000})`,
      );
      expect(rows).toEqual([{ ok: 1 }]);
      expect(ended).toBe(false);
      expect(warnings.length).toBeGreaterThan(0);
      for (const [, message] of warnings as [unknown, string][]) {
        expect(message).toBe('postgres statement still running; waiting');
      }
    } finally {
      client.release();
    }
  });
});

/**
 * A login role allowed one connection: the server refuses a second one as it does at
 * `max_connections` (SQLSTATE 53300), without filling the shared server's slots.
 */
async function withOneSlotRole(run: (url: string) => Promise<void>): Promise<void> {
  const role = `parley_one_slot_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: REPO_TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT 1`);
    const url = new URL(REPO_TEST_DATABASE_URL);
    url.username = role;
    await run(url.toString());
  } finally {
    await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await admin.end();
  }
}

describe('stallWatchedClient (real PostgreSQL with no connection slot left for a probe)', () => {
  const logger = new Logger('spec');
  const warnings: [unknown, string][] = [];

  beforeAll(() => {
    watchDatabaseStalls();
    jest.spyOn(logger, 'warn').mockImplementation((fields: unknown, message?: unknown) => {
      warnings.push([fields, String(message)]);
    });
  });
  beforeEach(() => (warnings.length = 0));

  /** A watched pool whose one connection takes the role's one slot: every probe is refused. */
  const withFullServerPool = (run: (pool: Pool) => Promise<void>) =>
    withOneSlotRole(async (url) => {
      const pool = new Pool({
        connectionString: url,
        max: 1,
        Client: stallWatchedClient(TIMEOUT_MS, logger),
      });
      try {
        await run(pool);
      } finally {
        await pool.end();
      }
    });

  it('waits for a silent statement while the full server refuses the probe: it is alive', async () => {
    await withFullServerPool(async (pool) => {
      // Silent for three timeouts; each probe is refused (the role's one slot is this one).
      const { rows } = await pool.query<{ ok: number }>(
        `SELECT 1 AS ok FROM pg_sleep(${(3 * TIMEOUT_MS) / 1000})`,
      );
      expect(rows).toEqual([{ ok: 1 }]);
      expect(warnings.length).toBeGreaterThan(0);
      for (const [, message] of warnings) {
        expect(message).toBe(
          'postgres is full and cannot be asked about a silent statement; waiting',
        );
      }
    });
  });

  it(`drops it once the server was full at ${FULL_PROBES_BEFORE_DROP} probes in a row`, async () => {
    await withFullServerPool(async (pool) => {
      const answer = pool
        .query(`SELECT pg_sleep(${((FULL_PROBES_BEFORE_DROP + 4) * TIMEOUT_MS) / 1000})`)
        .then(
          () => 'answered',
          (err: Error) => `failed: ${err.message}`,
        );
      expect(await answer).toBe(`failed: no answer from PostgreSQL in ${TIMEOUT_MS} ms`);
      expect(warnings.at(-1)).toEqual([
        {
          waitedMs: TIMEOUT_MS,
          reason: `the server was full at ${FULL_PROBES_BEFORE_DROP} probes in a row`,
        },
        'postgres connection stalled; dropped',
      ]);
      expect(warnings).toHaveLength(FULL_PROBES_BEFORE_DROP);
    });
  });
});

describe('probeBackend (real PostgreSQL)', () => {
  it('answers "full" when the server has no connection slot for the question', async () => {
    await withOneSlotRole(async (url) => {
      const holder = new Client({ connectionString: url });
      await holder.connect();
      try {
        const pid = (holder as unknown as { processID: number }).processID;
        expect(await probeBackend({ connectionString: url }, pid, 2_000)).toBe('full');
      } finally {
        await holder.end();
      }
      // With the slot free again, the same question is answered.
      expect(await probeBackend({ connectionString: url }, 0, 2_000)).toBe('not-running');
    });
  });

  it("tells a backend running a statement from one that is idle, and another's from none", async () => {
    const busy = new Client({ connectionString: REPO_TEST_DATABASE_URL });
    const asker = { connectionString: REPO_TEST_DATABASE_URL };
    await busy.connect();
    try {
      const pid = (busy as unknown as { processID: number }).processID;
      expect(await probeBackend(asker, pid, 2_000)).toBe('not-running');
      const sleeping = busy.query('SELECT pg_sleep(1.5)');
      // Until the server has the statement, the backend is idle.
      let state = await probeBackend(asker, pid, 2_000);
      while (state !== 'running') state = await probeBackend(asker, pid, 2_000);
      await sleeping;
      expect(await probeBackend(asker, pid, 2_000)).toBe('not-running');
      // No such backend.
      expect(await probeBackend(asker, 0, 2_000)).toBe('not-running');
    } finally {
      await busy.end();
    }
  });

  it('rejects when the server accepts the connection but never answers', async () => {
    const held: Socket[] = [];
    const silent: Server = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await expect(
        probeBackend({ host: '127.0.0.1', port, user: 'postgres' }, 1, 300),
      ).rejects.toThrow();
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('postgresPoolOptions (real PostgreSQL): the session every service plans in', () => {
  it('plans with the random page cost of data in memory, without JIT', async () => {
    const pool = new Pool({
      connectionString: REPO_TEST_DATABASE_URL,
      ...postgresPoolOptions({ owner: 'gateway', stallTimeoutMs: 1_000 }),
    });
    try {
      const { rows } = await pool.query<{ cost: string; jit: string; name: string }>(
        `SELECT current_setting('random_page_cost') AS cost, current_setting('jit') AS jit,
                current_setting('application_name') AS name`,
      );
      expect(rows).toEqual([{ cost: '1.1', jit: 'off', name: 'parley-gateway' }]);
    } finally {
      await pool.end();
    }
  });
});

describe("postgresPoolOptions (real PostgreSQL): the server's side of a stall", () => {
  it('ends a transaction its client left idle for the stall timeout, so its locks hold nobody', async () => {
    const pool = new Pool({
      connectionString: REPO_TEST_DATABASE_URL,
      ...postgresPoolOptions({ owner: 'spec', stallTimeoutMs: 1_000 }),
    });
    const client = await pool.connect();
    const errors: string[] = [];
    client.on('error', (err: Error) => errors.push(err.message));
    try {
      const setting = await client.query<{ idle_in_transaction_session_timeout: string }>(
        'SHOW idle_in_transaction_session_timeout',
      );
      expect(setting.rows).toEqual([{ idle_in_transaction_session_timeout: '1s' }]);
      await client.query('BEGIN');
      await client.query('SELECT 1');
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(errors[0]).toMatch(/idle-in-transaction timeout/);
      await expect(client.query('SELECT 2')).rejects.toThrow();
    } finally {
      client.release(true);
      await pool.end();
    }
  });
});
