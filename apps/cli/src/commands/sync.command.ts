import type { ParleyClient } from '@parley/client';
import { CommandContext, requireCredentials, UsageError } from './command-context';
import { deviceClient } from './device-client';

/** How long a one-shot sync may take before it gives up (PARLEY_SYNC_TIMEOUT_MS overrides). */
const DEFAULT_TIMEOUT_MS = 60_000;
/** After converging, how long to wait for the outbox's messages to be stored. */
const OUTBOX_WAIT_MS = 5_000;

/** The one-shot sync ended without converging. */
export class SyncFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SyncFailed';
  }
}

/**
 * `parley sync`: connect, send the outbox, sync until every conversation state matches the
 * server's (the digests prove it), and disconnect: the original notes' one-shot client. Exits 0
 * when converged.
 */
export async function syncCommand(ctx: CommandContext, args: string[]): Promise<void> {
  if (args.length > 0) throw new UsageError('usage: parley sync');
  const credentials = requireCredentials(ctx);
  const client = deviceClient(ctx, credentials);
  const timeoutMs = Number(ctx.env.PARLEY_SYNC_TIMEOUT_MS ?? DEFAULT_TIMEOUT_MS);
  let resets = 0;
  client.events.on('reset', () => resets++);
  try {
    const synced = await converge(client, timeoutMs);
    const waiting = await outboxSettled(client, OUTBOX_WAIT_MS);
    const held = client.conversationStates().length;
    ctx.stdout.write(
      `In agreement with the server: ${held} conversation${held === 1 ? '' : 's'}` +
        ` (${synced.messages} new message${synced.messages === 1 ? '' : 's'}, ${synced.rounds} round${synced.rounds === 1 ? '' : 's'}` +
        `${resets > 0 ? `, ${resets} reset from the server` : ''}).\n`,
    );
    if (waiting > 0) {
      ctx.stdout.write(`${waiting} message(s) still waiting to be stored: kept in the outbox.\n`);
    }
  } finally {
    await client.flush();
    client.stop();
  }
}

function converge(
  client: ParleyClient,
  timeoutMs: number,
): Promise<{ messages: number; rounds: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new SyncFailed(`sync: not in agreement after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const settle = (fn: () => void) => {
      clearTimeout(timer);
      fn();
    };
    client.events.on('synced', (result) => settle(() => resolve(result)));
    client.events.on('state', (state) => {
      if (state.kind === 'stopped') {
        settle(() => reject(new SyncFailed(`sync: ${state.reason ?? 'the connection ended'}`)));
      }
    });
    client
      .start()
      .catch((err: unknown) =>
        settle(() => reject(err instanceof Error ? err : new SyncFailed(String(err)))),
      );
  });
}

/** Waits (bounded) until the outbox is empty; the number of messages still in it. */
async function outboxSettled(client: ParleyClient, waitMs: number): Promise<number> {
  const deadline = Date.now() + waitMs;
  while (client.pending.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return client.pending.length;
}
