import type { ClientMembership, HistoryEvent, StoreSnapshot, StoredMessage } from './history';

/**
 * Checks a fault run's history against the authoritative store: did every acked message survive,
 * exactly once, with the same content everywhere, delivered in order and without holes to every
 * member device?
 *
 * Vocabulary: a message's *key* is (sender user id, clientMsgId), the store's unique key; a *send*
 * is everything the history says about one key (sent, resent, accepted, acked, refused). A client
 * *holds* a stored message when it received that seq of the conversation (with any content) or
 * when it is the client whose send of that message was acked. A *connection epoch* of a client
 * runs from one `reconnect` event (or the start) to the next.
 *
 * What each counter counts (one fault can show two symptoms: a hole in a client's seqs is also a
 * message that client lost, so it counts in `gapped` and in `lost`):
 * - `lost`: keys acked to their sender but absent from the store; plus (stored message, member
 *   client) pairs where the client never received it by the end, unless that client is the one its
 *   send was acked to (another device of the same user does need it).
 * - `duplicated`: keys stored more than once or acked with more than one seq (once per key).
 * - `divergent`: (client, conversation, seq) received with a sender, clientMsgId or text other
 *   than the store's (two clients that disagree cannot both match the store); plus keys whose
 *   stored copy differs from what was sent (another conversation or text), or whose acks name none
 *   of the seqs it is stored at.
 * - `outOfOrder`: receives, within one client, conversation and connection epoch, of a seq lower
 *   than one already received in that epoch. After a reconnect a lower seq is allowed: it fills a
 *   gap, or is a duplicate delivery.
 * - `gapped`: conversations whose stored seqs are not exactly 1..n; plus (member client,
 *   conversation) pairs where the client, at the end, is missing a stored seq between the first
 *   seq it holds and the store's last.
 * - `phantom`: (client, conversation, seq) received that the store does not have; plus stored keys
 *   no client ever sent, or that were refused (`fail`) and never acked.
 * - `unresolved`: keys sent that by the end have neither an ack nor a fail.
 * - `duplicateDeliveries` (informational: clients dedupe): receives of a (conversation, seq) the
 *   client had already received.
 * - `converged`: every member client holds exactly the store's messages of each of its
 *   conversations, every one received with the store's content (or acked to it), and nothing more.
 */

/** The counted fault kinds, in the order of the summary line. */
export const FAULT_KINDS = [
  'lost',
  'duplicated',
  'divergent',
  'outOfOrder',
  'gapped',
  'phantom',
  'unresolved',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Kinds that have examples: the faults, duplicate deliveries, and clients that did not converge. */
export type ExampleKind = FaultKind | 'duplicateDeliveries' | 'notConverged';

export interface HistoryCheckInput {
  /** Every client's events; each client's own events in the order they happened to it. */
  history: readonly HistoryEvent[];
  /** The store at the end of the run. */
  store: StoreSnapshot;
  /** Every client of the run: its user and its conversations. */
  membership: readonly ClientMembership[];
}

export interface HistoryCheckOptions {
  /** Examples kept per kind (default 5). Counting is never capped. */
  maxExamples?: number;
}

export type HistoryCheckResult = Record<FaultKind, number> & {
  /** Informational: re-deliveries of a seq the client already had. */
  duplicateDeliveries: number;
  converged: boolean;
  /** Every fault counter is 0 and the run converged (duplicate deliveries do not matter). */
  ok: boolean;
  /** Up to `maxExamples` human-readable details per kind, for debugging a failed run. */
  examples: Record<ExampleKind, string[]>;
};

/** What the history says about one key. */
interface SendRecord {
  userId: string;
  clientMsgId: string;
  /** The first `send` event, if any (a send-less ack or fail is still recorded). */
  sent?: { client: string; conversationId: string; text: string };
  /** Seqs the key was acked with, and the clients the acks came to. */
  ackSeqs: Set<number>;
  ackedTo: Set<string>;
  failed: boolean;
}

/** What one client received of one (conversation, seq). */
interface Received {
  count: number;
  /** Every delivery matched the store's row (false when there is no row). */
  matchesStore: boolean;
}

/** The store of one conversation, indexed. */
interface ConversationStore {
  bySeq: Map<number, StoredMessage>;
  /** Distinct stored seqs, ascending. */
  seqs: number[];
}

const keyOf = (userId: string, clientMsgId: string): string =>
  JSON.stringify([userId, clientMsgId]);

const show = (m: { senderId: string; clientMsgId: string; text: string }): string =>
  `${m.senderId}/${m.clientMsgId} ${JSON.stringify(m.text)}`;

/** Runs every check over a finished run; see the module comment for what each counter means. */
export function checkHistory(
  input: HistoryCheckInput,
  options: HistoryCheckOptions = {},
): HistoryCheckResult {
  const maxExamples = options.maxExamples ?? 5;
  const counts: Record<FaultKind | 'duplicateDeliveries', number> = {
    lost: 0,
    duplicated: 0,
    divergent: 0,
    outOfOrder: 0,
    gapped: 0,
    phantom: 0,
    unresolved: 0,
    duplicateDeliveries: 0,
  };
  const examples: Record<ExampleKind, string[]> = {
    lost: [],
    duplicated: [],
    divergent: [],
    outOfOrder: [],
    gapped: [],
    phantom: [],
    unresolved: [],
    duplicateDeliveries: [],
    notConverged: [],
  };
  const example = (kind: ExampleKind, detail: string): void => {
    if (examples[kind].length < maxExamples) examples[kind].push(detail);
  };
  const fault = (kind: FaultKind | 'duplicateDeliveries', detail: string): void => {
    counts[kind] += 1;
    example(kind, detail);
  };

  // Membership.
  const userOf = new Map<string, string>();
  const membersOf = new Map<string, string[]>();
  for (const { client, userId, conversations } of input.membership) {
    userOf.set(client, userId);
    for (const conversationId of new Set(conversations)) {
      membersOf.set(conversationId, [...(membersOf.get(conversationId) ?? []), client]);
    }
  }
  const userOfClient = (client: string): string => {
    const userId = userOf.get(client);
    if (userId === undefined) throw new Error(`history names client ${client}, not in membership`);
    return userId;
  };

  // The store, and its own integrity: seqs exactly 1..n.
  const store = new Map<string, ConversationStore>();
  const storedByKey = new Map<string, { conversationId: string; message: StoredMessage }[]>();
  for (const [conversationId, messages] of Object.entries(input.store)) {
    const bySeq = new Map<number, StoredMessage>();
    for (const message of messages) {
      if (!bySeq.has(message.seq)) bySeq.set(message.seq, message);
      const key = keyOf(message.senderId, message.clientMsgId);
      storedByKey.set(key, [...(storedByKey.get(key) ?? []), { conversationId, message }]);
    }
    const seqs = [...bySeq.keys()].sort((a, b) => a - b);
    store.set(conversationId, { bySeq, seqs });
    const exact = seqs.length === messages.length && seqs.every((seq, i) => seq === i + 1);
    if (!exact) {
      fault('gapped', `store ${conversationId} holds seqs [${seqs.join(',')}], not 1..n once each`);
    }
  }

  // Walk the history: sends by key; receives per client, checked for order and against the store.
  const sends = new Map<string, SendRecord>();
  const sendFor = (client: string, clientMsgId: string): SendRecord => {
    const userId = userOfClient(client);
    const key = keyOf(userId, clientMsgId);
    let record = sends.get(key);
    if (!record) {
      record = { userId, clientMsgId, ackSeqs: new Set(), ackedTo: new Set(), failed: false };
      sends.set(key, record);
    }
    return record;
  };
  /** client → conversation → seq → what it received. */
  const received = new Map<string, Map<string, Map<number, Received>>>();
  /** client → conversation → highest seq received in the current epoch. */
  const epochMax = new Map<string, Map<string, number>>();

  for (const event of input.history) {
    switch (event.type) {
      case 'send': {
        const record = sendFor(event.client, event.clientMsgId);
        record.sent ??= {
          client: event.client,
          conversationId: event.conversationId,
          text: event.text,
        };
        break;
      }
      case 'accepted':
        sendFor(event.client, event.clientMsgId);
        break;
      case 'ack': {
        const record = sendFor(event.client, event.clientMsgId);
        record.ackSeqs.add(event.seq);
        record.ackedTo.add(event.client);
        break;
      }
      case 'fail':
        sendFor(event.client, event.clientMsgId).failed = true;
        break;
      case 'reconnect':
        userOfClient(event.client);
        epochMax.delete(event.client);
        break;
      case 'receive': {
        userOfClient(event.client);
        const where = `client ${event.client} ${event.conversationId} seq ${event.seq}`;
        const byConversation =
          received.get(event.client) ?? new Map<string, Map<number, Received>>();
        received.set(event.client, byConversation);
        const bySeq = byConversation.get(event.conversationId) ?? new Map<number, Received>();
        byConversation.set(event.conversationId, bySeq);

        const maxes = epochMax.get(event.client) ?? new Map<string, number>();
        epochMax.set(event.client, maxes);
        const max = maxes.get(event.conversationId);
        if (max !== undefined && event.seq < max) {
          fault('outOfOrder', `${where} after seq ${max} on the same connection`);
        }
        maxes.set(event.conversationId, Math.max(max ?? event.seq, event.seq));

        const row = store.get(event.conversationId)?.bySeq.get(event.seq);
        const matches =
          row !== undefined &&
          row.senderId === event.senderId &&
          row.clientMsgId === event.clientMsgId &&
          row.text === event.text;
        const previous = bySeq.get(event.seq);
        if (previous) {
          previous.count += 1;
          fault('duplicateDeliveries', `${where} delivered ${previous.count} times`);
        }
        if (!row && !previous) {
          fault('phantom', `${where} received ${show(event)}, not in the store`);
        }
        if (row && !matches && (!previous || previous.matchesStore)) {
          fault('divergent', `${where} received ${show(event)}, store has ${show(row)}`);
        }
        bySeq.set(event.seq, {
          count: previous?.count ?? 1,
          matchesStore: matches && (previous?.matchesStore ?? true),
        });
        break;
      }
    }
  }

  // Each key: resolved, stored once, stored as sent, and stored only if not refused.
  for (const [key, record] of sends) {
    const name = `${record.userId}/${record.clientMsgId}`;
    const copies = storedByKey.get(key) ?? [];
    const acked = record.ackSeqs.size > 0;
    if (record.sent && !acked && !record.failed) {
      fault('unresolved', `${name} sent by ${record.sent.client}, never acked nor refused`);
    }
    if (acked && copies.length === 0) {
      fault('lost', `${name} acked as seq ${[...record.ackSeqs].join(',')} but not in the store`);
    }
    if (copies.length > 1 || record.ackSeqs.size > 1) {
      const at = copies.map((copy) => `${copy.conversationId}#${copy.message.seq}`).join(', ');
      fault('duplicated', `${name} stored at [${at}], acked as [${[...record.ackSeqs].join(',')}]`);
    }
    if (copies.length > 0) {
      const sent = record.sent;
      const differs =
        sent !== undefined &&
        copies.some(
          (copy) => copy.conversationId !== sent.conversationId || copy.message.text !== sent.text,
        );
      const ackMatches = copies.some((copy) => record.ackSeqs.has(copy.message.seq));
      if (differs || (acked && !ackMatches)) {
        fault('divergent', `${name} stored differently from what was sent or acked`);
      }
      if (!acked && record.failed) {
        fault('phantom', `${name} refused (fail) and never acked, yet stored`);
      }
    }
  }
  for (const [key, copies] of storedByKey) {
    if (!sends.get(key)?.sent) {
      const { conversationId, message } = copies[0];
      fault('phantom', `${conversationId}#${message.seq} ${show(message)}: nobody sent it`);
    }
  }

  // Each member client and conversation at the end: holds every stored message, with no hole.
  let converged = true;
  const conversations = new Set([...store.keys(), ...membersOf.keys()]);
  for (const conversationId of conversations) {
    const conversation: ConversationStore = store.get(conversationId) ?? {
      bySeq: new Map<number, StoredMessage>(),
      seqs: [],
    };
    for (const client of membersOf.get(conversationId) ?? []) {
      const got = received.get(client)?.get(conversationId) ?? new Map<number, Received>();
      const ackedToClient = (message: StoredMessage): boolean =>
        sends.get(keyOf(message.senderId, message.clientMsgId))?.ackedTo.has(client) ?? false;
      const held = conversation.seqs.filter((seq) => {
        const message = conversation.bySeq.get(seq);
        return got.has(seq) || (message !== undefined && ackedToClient(message));
      });
      const heldSet = new Set(held);
      for (const seq of conversation.seqs) {
        const message = conversation.bySeq.get(seq);
        if (message && !heldSet.has(seq)) {
          fault(
            'lost',
            `client ${client} never received ${conversationId}#${seq} ${show(message)}`,
          );
        }
      }
      if (held.length > 0) {
        const holes = conversation.seqs.filter((seq) => seq > held[0] && !heldSet.has(seq));
        if (holes.length > 0) {
          fault('gapped', `client ${client} ${conversationId} misses seqs [${holes.join(',')}]`);
        }
      }
      const exact =
        conversation.seqs.every((seq) => {
          const message = conversation.bySeq.get(seq);
          const delivery = got.get(seq);
          if (delivery) return delivery.matchesStore;
          return message !== undefined && ackedToClient(message);
        }) && [...got.keys()].every((seq) => conversation.bySeq.has(seq));
      if (!exact) {
        converged = false;
        example('notConverged', `client ${client} ${conversationId}`);
      }
    }
  }

  const ok = converged && FAULT_KINDS.every((kind) => counts[kind] === 0);
  return { ...counts, converged, ok, examples };
}

/** Counter names as the summary line spells them. */
const LABELS: Record<FaultKind, string> = {
  lost: 'lost',
  duplicated: 'duplicated',
  divergent: 'divergent',
  outOfOrder: 'out-of-order',
  gapped: 'gapped',
  phantom: 'phantom',
  unresolved: 'unresolved',
};

/**
 * One line, e.g. `lost 0, duplicated 0, divergent 0, out-of-order 0, gapped 0, phantom 0,
 * unresolved 0, converged`; `not converged` otherwise; duplicate deliveries appended when any.
 */
export function formatHistoryCheck(result: HistoryCheckResult): string {
  const parts = FAULT_KINDS.map((kind) => `${LABELS[kind]} ${result[kind]}`);
  parts.push(result.converged ? 'converged' : 'not converged');
  if (result.duplicateDeliveries > 0) {
    parts.push(`duplicate deliveries ${result.duplicateDeliveries}`);
  }
  return parts.join(', ');
}
