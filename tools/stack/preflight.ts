import { Socket } from 'node:net';

/** Resolves true when host:port accepts a TCP connection within `timeoutMs`. */
export function canConnect(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

export interface PreflightProblem {
  what: string;
  howToFix: string;
}

function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: u.port ? Number(u.port) : defaultPort };
}

/** Checks PostgreSQL and Redis answer, and says plainly how to start whichever does not. */
export async function preflight(
  databaseUrl: string,
  redisUrl: string,
): Promise<PreflightProblem[]> {
  const problems: PreflightProblem[] = [];
  const pg = hostPort(databaseUrl, 5432);
  if (!(await canConnect(pg.host, pg.port))) {
    problems.push({
      what: `PostgreSQL is not reachable at ${pg.host}:${pg.port} (DATABASE_URL)`,
      howToFix:
        "start it, e.g. 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start' or 'sudo systemctl start postgresql'",
    });
  }
  const redis = hostPort(redisUrl, 6379);
  if (!(await canConnect(redis.host, redis.port))) {
    problems.push({
      what: `Redis is not reachable at ${redis.host}:${redis.port} (REDIS_URL)`,
      howToFix:
        "start it, e.g. 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379' or 'sudo systemctl start redis-server'",
    });
  }
  return problems;
}
