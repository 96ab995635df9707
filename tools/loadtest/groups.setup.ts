import { type ConversationsAnswer, ErrorCode, type ServerFrame } from '@parley/protocol';
import type { CachedAccount } from './accounts';
import { Socket } from './bench-socket';
import {
  chunks,
  groupTitle,
  type GroupsLayout,
  MEMBERS_PER_FRAME,
  memberUser,
} from './groups.plan';

/**
 * Makes the groups (or channels) of a `groups` run through the real protocol, once: each group's
 * creator (member 0) sends a `group` frame (`create` with the other members' usernames; for a
 * channel `create-channel`, then `add` in chunks of 1,000 and `promote` for the other admins).
 * A later run with the same prefix and layout finds them again in the creator's conversation list
 * (by name, kind and member count) and makes nothing.
 */
export interface GroupsSetupOptions {
  gateways: readonly string[];
  layout: GroupsLayout;
  prefix: string;
  /** Username of every user index of the layout (G x S). */
  usernames: readonly string[];
  /** The creator of group g (member 0): an online account with a token. */
  creatorOf: (group: number) => CachedAccount;
  log: (line: string) => void;
}

async function conversationsOf(
  gateway: string,
  account: CachedAccount,
): Promise<ConversationsAnswer['conversations']> {
  const response = await fetch(`${gateway}/v1/conversations`, {
    headers: { authorization: `Bearer ${account.accessToken}` },
    signal: AbortSignal.timeout(60_000),
  });
  if (!response.ok) throw new Error(`GET /v1/conversations: HTTP ${response.status}`);
  return ((await response.json()) as ConversationsAnswer).conversations;
}

/** Sends one `group` frame and waits for its `ack` (retrying after `rate_limited`/`overloaded`). */
async function change(
  socket: Socket,
  clientMsgId: string,
  change: Record<string, unknown>,
  conversationId?: string,
): Promise<Extract<ServerFrame, { type: 'ack' }>> {
  const frame = {
    type: 'group',
    clientMsgId,
    ...(conversationId ? { conversationId } : {}),
    change,
  };
  for (let attempt = 0; ; attempt++) {
    const answer = socket.next(
      (f) => (f.type === 'ack' || f.type === 'error') && f.clientMsgId === clientMsgId,
    );
    socket.send(frame);
    const f = await answer;
    if (f.type === 'ack') return f;
    if (f.type !== 'error') throw new Error(`group ${String(change.op)}: unexpected ${f.type}`);
    const retryable = f.code === ErrorCode.RateLimited || f.code === ErrorCode.Overloaded;
    if (!retryable || attempt >= 5)
      throw new Error(`group ${String(change.op)} refused: ${f.code} ${f.message}`);
    await new Promise((r) => setTimeout(r, f.retryAfterMs ?? 1000));
  }
}

/** The conversation id of each group, made if missing. */
export async function ensureGroups(options: GroupsSetupOptions): Promise<string[]> {
  const { gateways, layout, prefix, usernames, log } = options;
  const run = Date.now().toString(36);
  const ids: string[] = [];
  let made = 0;
  const started = Date.now();
  for (let g = 0; g < layout.groups; g++) {
    const creator = options.creatorOf(g);
    const gateway = gateways[g % gateways.length];
    const title = groupTitle(prefix, layout, g);
    const found = (await conversationsOf(gateway, creator)).find(
      (c) =>
        c.kind === layout.kind &&
        c.title === title &&
        c.active &&
        c.memberCount === layout.members &&
        (layout.kind === 'group' ||
          c.members.filter((m) => m.role === 'admin').length === layout.admins),
    );
    if (found) {
      ids.push(found.id);
      continue;
    }
    const others = Array.from(
      { length: layout.members - 1 },
      (_, m) => usernames[memberUser(layout, g, m + 1)],
    );
    const socket = await Socket.open(gateway, creator, 'lt-setup');
    try {
      let id: string;
      if (layout.kind === 'group') {
        id = (
          await change(socket, `lt-setup-${run}-${g}`, {
            op: 'create',
            name: title,
            members: others,
          })
        ).conversationId;
      } else {
        id = (
          await change(socket, `lt-setup-${run}-${g}`, {
            op: 'create-channel',
            name: title,
            public: false,
          })
        ).conversationId;
        let k = 0;
        for (const part of chunks(others, MEMBERS_PER_FRAME)) {
          await change(socket, `lt-setup-${run}-${g}-add${k++}`, { op: 'add', members: part }, id);
        }
        if (layout.admins > 1) {
          await change(
            socket,
            `lt-setup-${run}-${g}-promote`,
            { op: 'promote', members: others.slice(0, layout.admins - 1) },
            id,
          );
        }
      }
      ids.push(id);
      made++;
      log(`made ${layout.kind} ${g + 1}/${layout.groups} "${title}" (${layout.members} members)`);
    } finally {
      socket.close();
    }
  }
  log(
    made === 0
      ? `${layout.kind}s found: ${layout.groups} x ${layout.members} members (made nothing)`
      : `${layout.kind}s ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${made} made, ${layout.groups - made} found`,
  );
  return ids;
}
