import { Connection, ParleyClient } from '@parley/client';
import { nodeWebSockets } from '@parley/client/node/ws-socket';
import type { Credentials } from '../config/config.store';
import { FileOutboxStore } from '../outbox/file-outbox.store';
import { FileConversationStateStore } from '../sync/file-state.store';
import type { CommandContext } from './command-context';

/**
 * This config directory's device: one device id, its outbox and its conversation states on disk,
 * a connection that syncs with sync v2 (live pushes held until the sync converges).
 */
export function deviceClient(ctx: CommandContext, credentials: Credentials): ParleyClient {
  return new ParleyClient({
    connection: new Connection({
      api: ctx.api,
      deviceId: ctx.config.deviceId(),
      sockets: nodeWebSockets(),
      sync: 'v2',
    }),
    outbox: new FileOutboxStore(ctx.config.outboxPath),
    states: new FileConversationStateStore(ctx.config.statesPath(credentials.userId)),
  });
}
