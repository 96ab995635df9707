import type { ConversationsAnswer } from '@parley/protocol';
import { type CachedAccount, mapLimit } from './accounts';
import { Socket } from './bench-socket';

/** Sockets writing seed messages at once (each one user's writes to its next partners). */
const SEED_CONCURRENCY = 25;

/**
 * The partners user `index` writes to so that each of `users` users holds `perUser`
 * conversations: the next ceil(perUser / 2) users round the ring (pure: unit-tested). Each pair is
 * written once, by the earlier of the two on the ring, so user i holds its ceil(perUser / 2)
 * successors and as many predecessors.
 */
export function ringPartners(index: number, users: number, perUser: number): number[] {
  const ahead = Math.min(Math.ceil(perUser / 2), Math.floor((users - 1) / 2));
  return Array.from({ length: ahead }, (_, k) => (index + k + 1) % users);
}

async function conversationCount(gateway: string, account: CachedAccount): Promise<number> {
  const response = await fetch(`${gateway}/v1/conversations`, {
    headers: { authorization: `Bearer ${account.accessToken}` },
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) throw new Error(`GET /v1/conversations: HTTP ${response.status}`);
  return ((await response.json()) as ConversationsAnswer).conversations.length;
}

/**
 * Gives every account about `perUser` 1:1 conversations (one message each, through the real send
 * path: a first contact creates the conversation), once: skipped when the first and last accounts
 * already hold that many. So the `connect` workload measures users whose first sync has work.
 */
export async function seedConversations(
  gateways: readonly string[],
  accounts: readonly CachedAccount[],
  perUser: number,
  log: (line: string) => void,
): Promise<void> {
  if (perUser === 0 || accounts.length < 3) return;
  const want = 2 * ringPartners(0, accounts.length, perUser).length;
  const held = await Promise.all(
    [accounts[0], accounts[accounts.length - 1]].map((a) => conversationCount(gateways[0], a)),
  );
  if (held.every((n) => n >= want)) {
    log(`seeded already: each user holds ${want} conversations`);
    return;
  }
  const started = Date.now();
  log(`seeding: ${accounts.length} users x ${want} conversations (one message each)`);
  const run = started.toString(36);
  await mapLimit([...accounts], SEED_CONCURRENCY, async (writer, i) => {
    const socket = await Socket.open(gateways[i % gateways.length], writer, 'lt-seed');
    try {
      await socket.sendAcked(
        ringPartners(i, accounts.length, perUser).map((p) => ({
          type: 'send',
          clientMsgId: `seed-${run}-${p}`,
          to: accounts[p].username,
          text: `seed ${i} to ${p}`,
        })),
      );
    } finally {
      socket.close();
    }
  });
  log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
