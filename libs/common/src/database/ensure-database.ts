import { Client } from 'pg';

/** The database name in `url`, refused unless it is a plain identifier (it is quoted into DDL). */
function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!/^[\w-]+$/.test(name)) throw new Error(`unsupported database name in DATABASE_URL`);
  return name;
}

/** Runs `work` on a connection to the server's `postgres` database (CREATE/DROP DATABASE need it). */
async function withAdminClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates the database named in `url` if it does not exist. */
export async function ensureDatabase(url: string): Promise<'created' | 'exists'> {
  const name = databaseName(url);
  return withAdminClient(url, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return 'exists';
    await client.query(`CREATE DATABASE "${name}"`);
    return 'created';
  });
}

/** Drops and re-creates a database: the test set-up's fresh schema. */
export async function recreateDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  await withAdminClient(url, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  });
}
