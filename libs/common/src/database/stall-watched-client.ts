import { Logger } from '@nestjs/common';
import { Socket } from 'node:net';
import { Client, type ClientConfig } from 'pg';

/**
 * Whether this process acts on stalls yet: not while its migrations run (a migration's statement,
 * or the advisory lock a second replica waits on, may be silent for longer than any OLTP
 * statement). MigrationRunner turns it on once they are done.
 */
const watching = { on: false };

export function watchDatabaseStalls(): void {
  watching.on = true;
}

/** node-postgres's record of the statement in flight and its backend's pid (internal; pg 8). */
interface ClientInternals {
  _activeQuery: unknown;
  processID: number | null;
}

const internals = (client: Client) => client as unknown as ClientInternals;

/**
 * What the server says of a backend whose client heard nothing from it for the timeout: `full`
 * when it refused the question's connection for want of slots (`max_connections`, or the role's
 * connection limit), so it is alive and busy but the backend's state is not known.
 */
export type BackendState = 'running' | 'not-running' | 'full';

/** SQLSTATE too_many_connections: the server, or the role, has no connection slot left. */
const TOO_MANY_CONNECTIONS = '53300';

/**
 * How many probes in a row a full server may refuse before the silent connection is dropped
 * anyway: a full server is alive, so its statement is waited for like a running one, but not
 * for ever (a path that died while the server filled up would otherwise hold it for hours).
 */
export const FULL_PROBES_BEFORE_DROP = 5;

/**
 * Asks PostgreSQL, over a connection of its own made with `config`, whether backend `pid` is
 * still working on a statement: active, and not waiting to write its answer to the client (a
 * backend blocked on a path that stopped reading is part of the stall). Rejects when the server
 * cannot be reached or does not answer within `timeoutMs`.
 */
export async function probeBackend(
  config: ClientConfig,
  pid: number,
  timeoutMs: number,
): Promise<BackendState> {
  const probe = new Client({
    ...config,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'parley-stall-probe',
  });
  probe.on('error', () => undefined); // a failure also rejects the call that met it
  try {
    try {
      await probe.connect();
    } catch (err) {
      if ((err as { code?: unknown }).code === TOO_MANY_CONNECTIONS) return 'full';
      throw err;
    }
    const { rows } = await probe.query<{ running: boolean }>(
      `SELECT state = 'active' AND wait_event IS DISTINCT FROM 'ClientWrite' AS running
         FROM pg_stat_activity WHERE pid = $1`,
      [pid],
    );
    return rows[0]?.running === true ? 'running' : 'not-running';
  } finally {
    await probe.end().catch(() => undefined);
  }
}

/**
 * A PostgreSQL connection can stall without closing: a server or a network path that stops
 * answering, no reset sent. TCP notices only at its keep-alive, two hours by default, and
 * node-postgres waits for the statement's answer until then, holding whatever waits on it: a
 * storage batch, its partition's next batches, the acks of every message on them.
 *
 * The pool's clients are this class. When a connection has been silent for `timeoutMs` with a
 * statement of its in flight, the server is asked over a new connection (`probeBackend`) whether
 * that statement is still running. If it is (a slow statement, one waiting for a lock), the client
 * keeps waiting, and asks again after as long: dropping it would leave the server running it and
 * the retry running it again beside it, more load on a server that is already slow. A server that
 * refuses the question's connection because it is full is alive and busy too: waited for the same
 * way, up to FULL_PROBES_BEFORE_DROP refusals in a row. If it is not
 * (its answer was lost on the way), or the server cannot be reached or does not answer in time,
 * the connection is destroyed: the statement fails as it would had the server closed the
 * connection, the pool drops the client, and its owner's retry takes a new one. So a stall is
 * noticed within twice `timeoutMs`. (node-postgres's `query_timeout` fails the statement but keeps
 * the connection, still waiting for the answer, and gives it back to the pool.) The server ends a
 * transaction the stalled connection left open after the same time
 * (`idle_in_transaction_session_timeout`, set by DatabaseModule), so its locks do not hold the
 * retry.
 */
export function stallWatchedClient(timeoutMs: number, logger: Logger): typeof Client {
  return class StallWatchedClient extends Client {
    constructor(config?: string | ClientConfig) {
      super(config);
      // The connection's socket (under TLS, the raw one the TLS socket wraps).
      const socket = this.connection.stream;
      if (!(socket instanceof Socket)) return;
      const probeConfig: ClientConfig =
        typeof config === 'string' ? { connectionString: config } : { ...config };
      socket.setTimeout(timeoutMs);
      // The statement whose probes a full server refused, and how many times in a row.
      let refused: { statement: unknown; count: number } = { statement: undefined, count: 0 };
      socket.on('timeout', () => {
        const { _activeQuery: inFlight, processID } = internals(this);
        if (!watching.on || inFlight == null) return; // idle in the pool, or migrating
        const stalled = (reason: string) => {
          logger.warn({ waitedMs: timeoutMs, reason }, 'postgres connection stalled; dropped');
          socket.destroy(new Error(`no answer from PostgreSQL in ${timeoutMs} ms`));
        };
        if (processID === null) return stalled('no backend');
        probeBackend(probeConfig, processID, timeoutMs).then(
          (state) => {
            // Answered meanwhile (or closed): nothing to decide.
            if (socket.destroyed || internals(this)._activeQuery !== inFlight) return;
            if (state === 'not-running') return stalled('its answer was lost');
            if (state === 'full') {
              // Counted per statement: another statement's silence starts from none.
              if (refused.statement !== inFlight) refused = { statement: inFlight, count: 0 };
              const fullRefusals = ++refused.count;
              if (fullRefusals >= FULL_PROBES_BEFORE_DROP) {
                return stalled(`the server was full at ${fullRefusals} probes in a row`);
              }
              logger.warn(
                { waitedMs: timeoutMs, refusals: fullRefusals },
                'postgres is full and cannot be asked about a silent statement; waiting',
              );
            } else {
              refused = { statement: undefined, count: 0 };
              logger.warn({ waitedMs: timeoutMs }, 'postgres statement still running; waiting');
            }
            socket.setTimeout(timeoutMs); // the next silence is asked about again
          },
          () => {
            if (socket.destroyed || internals(this)._activeQuery !== inFlight) return;
            stalled('the server did not answer a probe');
          },
        );
      });
    }
  };
}
