import { ConversationStates, httpBaseOfSocketUrl, SyncRounds } from '@parley/client';
import type { SyncStatesFrame } from '@parley/protocol';
import { type CachedAccount, mapLimit } from './accounts';
import { Socket } from './bench-socket';
import { summaryOf, tailingSource } from './device-sync';

/**
 * The `sync` workload (a benchmark of sync v2, docs/LOADTEST.md): one reader device that holds
 * `conversations` conversations. It measures, from the client and from the gateway's /metrics, a
 * sync in which every state agrees, and one after `behind` messages arrived in
 * `behindConversations` of them while the device was away: wall time, rounds, the gateway's SQL
 * statements and time, and the bytes both ways on the socket.
 */
export interface SyncWorkloadOptions {
  gateways: string[];
  /** accounts[0] reads; accounts[1..conversations] write to it. */
  accounts: CachedAccount[];
  conversations: number;
  /** Messages each conversation holds at least before measuring (so every window is full). */
  seedMessages: number;
  behind: number;
  behindConversations: number;
  repeat: number;
  log: (line: string) => void;
}

export interface SyncMeasurement {
  wallMs: number;
  rounds: number;
  messages: number;
  resets: number;
  bytesSent: number;
  bytesReceived: number;
  /** From the gateway's /metrics: SQL statements and seconds sync v2 spent on this sync. */
  serverQueries: number;
  serverMs: number;
}

export interface SyncReport {
  workload: 'sync';
  startedAt: string;
  conversations: number;
  agreement: SyncMeasurement[];
  behind: SyncMeasurement & { behindMessages: number; behindConversations: number };
}

/** Counter values from a gateway's Prometheus text. */
async function syncCounters(gatewayHttp: string): Promise<{ queries: number; seconds: number }> {
  const text = await (await fetch(`${gatewayHttp}/metrics`)).text();
  // Lines are `name{labels} value` (every metric carries a `service` label) or `name value`.
  const value = (name: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return { queries: value('parley_sync_queries_total'), seconds: value('parley_sync_seconds_sum') };
}

/**
 * A sync v2 on a new socket from `states` (updated in place), until a round converges, with the
 * client library's rounds (SyncRounds): the summary of what it holds first (docs/PROTOCOL.md "A
 * summary first"), its states when that does not match, tail requests for conversations it does
 * not know.
 */
async function measureSync(
  gateway: string,
  reader: CachedAccount,
  states: ConversationStates,
): Promise<SyncMeasurement> {
  const socket = await Socket.open(gateway, reader, 'lt-sync-reader', 'v2');
  const http = httpBaseOfSocketUrl(socket.answer.url) ?? gateway;
  const before = await syncCounters(http);
  const started = performance.now();
  const rounds = new SyncRounds('bench', summaryOf);
  const send = (frames: readonly SyncStatesFrame[]) => {
    for (const frame of frames) socket.send(frame);
  };
  const source = tailingSource(states, () =>
    states.conversationIds().map((id) => states.state(id)),
  );
  let messages = 0;
  let resets = 0;
  const done = socket.until((frame) => {
    if (frame.type === 'sync.messages') {
      for (const m of frame.messages) {
        states.observe(m);
        rounds.touch(m.conversationId);
      }
      messages += frame.messages.length;
    } else if (frame.type === 'sync.reset') {
      states.reset(frame.conversationId, frame.lastSeq, frame.messages);
      rounds.touch(frame.conversationId);
      messages += frame.messages.length;
      resets++;
    } else if (frame.type === 'sync.done') {
      if (frame.converged) return true;
      send(rounds.next(frame, source));
    } else if (frame.type === 'error') {
      throw new Error(`sync bench: ${frame.code} ${frame.message}`);
    }
    return false;
  });
  send(rounds.start(source.held()));
  await done;
  const wallMs = performance.now() - started;
  const after = await syncCounters(http);
  socket.close();
  return {
    wallMs: Math.round(wallMs * 10) / 10,
    rounds: rounds.rounds,
    messages,
    resets,
    bytesSent: socket.bytesSent,
    bytesReceived: socket.bytesReceived,
    serverQueries: after.queries - before.queries,
    serverMs: Math.round((after.seconds - before.seconds) * 10000) / 10,
  };
}

/** Each writer sends `count` messages to the reader; waits for the acks. */
async function writeTo(
  options: SyncWorkloadOptions,
  writers: readonly CachedAccount[],
  count: number,
  label: string,
): Promise<void> {
  const reader = options.accounts[0];
  await mapLimit([...writers], 25, async (writer, i) => {
    const socket = await Socket.open(
      options.gateways[i % options.gateways.length],
      writer,
      `lt-sync-w`,
    );
    const run = Date.now().toString(36);
    const frames = Array.from({ length: count }, (_, n) => ({
      type: 'send',
      clientMsgId: `${label}-${run}-${n}`,
      to: reader.username,
      text: `sync bench ${label} ${n}`,
    }));
    await socket.sendAcked(frames);
    socket.close();
  });
}

export async function runSync(options: SyncWorkloadOptions): Promise<SyncReport> {
  const { accounts, conversations, log } = options;
  const reader = accounts[0];
  const writers = accounts.slice(1, conversations + 1);
  const gateway = options.gateways[0];
  const startedAt = new Date().toISOString();

  // The reader's device as a new device would start: the tail of each conversation.
  const states = new ConversationStates();
  const first = await measureSync(gateway, reader, states);
  const held = states.conversationIds().map((id) => states.lastSeq(id));
  if (held.length < conversations || held.some((n) => n < options.seedMessages)) {
    log(
      `seeding: ${writers.length} writers x ${options.seedMessages} messages to ${reader.username}`,
    );
    await writeTo(options, writers, options.seedMessages, 'seed');
    await measureSync(gateway, reader, states);
  } else {
    log(`seeded already (first sync: ${first.resets} tails, ${first.messages} messages)`);
  }

  log(`agreement: ${options.repeat} syncs of ${states.conversationIds().length} conversations`);
  const agreement: SyncMeasurement[] = [];
  for (let i = 0; i < options.repeat; i++)
    agreement.push(await measureSync(gateway, reader, states));

  const each = Math.ceil(options.behind / options.behindConversations);
  log(`behind: ${options.behindConversations} writers x ${each} messages while the reader is away`);
  await writeTo(options, writers.slice(0, options.behindConversations), each, 'away');
  const behind = await measureSync(gateway, reader, states);
  return {
    workload: 'sync',
    startedAt,
    conversations: states.conversationIds().length,
    agreement,
    behind: {
      ...behind,
      behindMessages: each * options.behindConversations,
      behindConversations: options.behindConversations,
    },
  };
}
