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

/** node-postgres's own record of the statement in flight (internal; pg 8). */
function hasActiveQuery(client: Client): boolean {
  return (client as unknown as { _activeQuery: unknown })._activeQuery != null;
}

/**
 * A PostgreSQL connection can stall without closing: a server or a network path that stops
 * answering, no reset sent. TCP notices only at its keep-alive, two hours by default, and
 * node-postgres waits for the statement's answer until then, holding whatever waits on it: a
 * storage batch, its partition's next batches, the acks of every message on them.
 *
 * The pool's clients are this class: a connection silent for `timeoutMs` while a statement of
 * its is in flight is destroyed. The statement fails as it would had the server closed the
 * connection, the pool drops the client, and its owner's retry takes a new one. (node-postgres's
 * `query_timeout` fails the statement but keeps the connection, still waiting for the answer,
 * and gives it back to the pool.) The server ends a transaction the stalled connection left open
 * after the same time (`idle_in_transaction_session_timeout`, set by DatabaseModule), so its
 * locks do not hold the retry.
 */
export function stallWatchedClient(timeoutMs: number, logger: Logger): typeof Client {
  return class StallWatchedClient extends Client {
    constructor(config?: string | ClientConfig) {
      super(config);
      // The connection's socket (under TLS, the raw one the TLS socket wraps).
      const socket = this.connection.stream;
      if (!(socket instanceof Socket)) return;
      socket.setTimeout(timeoutMs);
      socket.on('timeout', () => {
        if (!watching.on || !hasActiveQuery(this)) return; // idle in the pool, or migrating
        logger.warn({ waitedMs: timeoutMs }, 'postgres connection stalled; dropped');
        socket.destroy(new Error(`no answer from PostgreSQL in ${timeoutMs} ms`));
      });
    }
  };
}
