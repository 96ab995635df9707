import {
  ApiError,
  ConversationStates,
  socketUrlOfHttpBase,
  SyncRounds,
  upgradeRequest,
} from '@parley/client';
import {
  type ConnectAnswer,
  type ConversationState,
  type DeliveredMessage,
  decodeServerFrame,
  type ServerFrame,
  type SyncStatesFrame,
} from '@parley/protocol';
import WebSocket from 'ws';
import { mapLimit } from './accounts';
import {
  DirectoryAnswerError,
  DirectoryRequests,
  DirectoryTimeoutError,
} from './directory-request';
import { Histogram } from './histogram';
import { isLoopbackUrl } from './loopback';
import { PresenceLoad } from './presence.worker';
import { OpenLoopSchedule } from './schedule';
import { SeenSeqs } from './seen-seqs';
import { summaryOf, tailingSource } from './device-sync';
import {
  CoordinatorMessage,
  Counters,
  emptyCounters,
  nowMs,
  WorkerAccount,
  WorkerInit,
  WorkerMessage,
  WorkerStep,
} from './ipc';

/**
 * One load-generator process (forked by main.ts). It owns a slice of the accounts: it connects
 * their devices the way a real client does (POST /v1/connect on a gateway → WebSocket with the
 * ticket → hello), sends its share of the open-loop schedule, and counts what its sockets see.
 * Latencies are measured from each message's SCHEDULED send time, carried in the message text, so
 * a slow server (or a late generator) shows up as latency instead of silently lowering the load.
 */
interface Client {
  account: WorkerAccount;
  deviceId: string;
  gateway: string;
  ws?: WebSocket;
  url?: string;
  /** conversationId → highest seq seen (ordering check and the delivered cursor). */
  lastSeq: Map<string, number>;
  /** conversationId → seq to report in the next `delivered` frame. */
  pendingCursor: Map<string, number>;
  /** Runs sync v2 again on the open socket (the server asked: `sync.required`). */
  resync?: () => void;
  /**
   * The states of every conversation the device held when its last sync converged: a returning
   * device (`connect --returning`) sends their summary in its first round (the states if asked).
   */
  held?: ConversationState[];
  /** groups: conversationId → seqs this socket was given in the current step (duplicates). */
  seen?: Map<string, SeenSeqs>;
}

interface Pending {
  id: number;
  step: number;
  scheduled: number;
  /** pairs: the pair's key (-1 in groups). */
  pair: number;
  /** groups: the group it went to (-1 in pairs). */
  group: number;
}

const HELLO_TIMEOUT_MS = 20_000;
/** Connect attempts per client when the gateway answers 503 (retried like a real client). */
const CONNECT_ATTEMPTS = 4;
const TEXT_PREFIX = 'lt ';

let init: WorkerInit;
const clients: Client[] = [];
/** Global user index → this worker's client of that user (pairs: one device per user). */
const byUser = new Map<number, Client>();
/** Unordered pair key → conversationId, learnt from `accepted`, `ack` and received messages. */
const conversations = new Map<number, string>();
const pending = new Map<string, Pending>();
const errors: Record<string, number> = {};

let step: WorkerStep | undefined;
let counters: Counters = emptyCounters();
const ack = new Histogram();
const delivery = new Histogram();
const lag = new Histogram();
let ackedIds: number[] = [];
let delivered = new Set<number>();
let lastAckAt = 0;
/** groups: the group of each of ackedIds. */
let ackedGroups: number[] = [];
/** groups: message id → first deliveries over this worker's sockets. */
let deliveredCounts = new Map<number, number>();
let lastDeliveryAt = 0;
/** Frames received by type over the step and its drain, and their bytes. */
let frames: Record<string, number> = {};
let frameBytes = 0;
/** presence: the workload's state (created with the first presence command). */
let presence: PresenceLoad<Client> | undefined;
/** Sockets dropped on purpose (a presence storm): their close is not an error. */
const dropped = new WeakSet<WebSocket>();

function send(message: WorkerMessage): void {
  process.send?.(message);
}

function countError(code: string): void {
  errors[code] = (errors[code] ?? 0) + 1;
  counters.errors++;
}

/** A frame received during a step (or its drain), by type. */
function countFrame(type: string, length: number): void {
  frames[type] = (frames[type] ?? 0) + 1;
  frameBytes += length;
}

function pairKey(a: number, b: number): number {
  return a < b ? a * 1_000_003 + b : b * 1_000_003 + a;
}

function userIndexOf(username: string): number {
  const prefix = `lt_${init.userPrefix}_`;
  return username.startsWith(prefix) ? Number(username.slice(prefix.length)) : -1;
}

// ---------------------------------------------------------------------------------------------
// Connecting

/** `POST /v1/connect` for every device of this worker (keep-alive sockets per gateway). */
const directory = new DirectoryRequests();

/** The error-table name of a failed connect: `http_<status>_<code>`, as before the library. */
function connectFailure(error: unknown): string {
  if (error instanceof ApiError) return `http_${error.status}_${error.code}`;
  if (error instanceof DirectoryTimeoutError) return 'http_timeout';
  if (error instanceof DirectoryAnswerError) return 'http_bad_answer';
  return 'http_network_error';
}

/** Where a device opens its socket, and the upgrade's headers (the client library's request). */
type SocketTarget = ReturnType<typeof upgradeRequest>;

/** The directory's choice and a single-use ticket for it (`POST /v1/connect`). */
async function directoryTarget(client: Client): Promise<SocketTarget> {
  let answer: ConnectAnswer;
  try {
    // With sync on connect the socket asks for ordered resume (sync v2): live pushes are held
    // until its sync converges.
    answer = await directory.connect(client.gateway, client.account.accessToken, {
      deviceId: client.deviceId,
      ...(init.syncOnConnect ? { sync: 'v2' as const } : {}),
    });
  } catch (error) {
    throw new Error(`connect_${connectFailure(error)}`);
  }
  client.url = answer.url;
  return upgradeRequest(answer.url, { ticket: answer.ticket });
}

/** The device's own gateway, with the access token in the upgrade (`--direct`). */
function directTarget(client: Client): SocketTarget {
  const base = socketUrlOfHttpBase(client.gateway);
  if (!base) throw new Error('connect_bad_gateway_url');
  client.url = base;
  return upgradeRequest(base, {
    accessToken: client.account.accessToken,
    deviceId: client.deviceId,
    ...(init.syncOnConnect ? { sync: 'v2' as const } : {}),
  });
}

/**
 * The client library's connect flow, with a lean socket loop: directly on the device's gateway
 * (`--direct`), where a 421 sends it to the directory, or the directory first.
 */
async function connectClient(client: Client): Promise<void> {
  if (init.directConnect) {
    try {
      return await openClient(client, directTarget(client));
    } catch (error) {
      if (!(error instanceof Error && error.message === 'ws_refused_421')) throw error;
    }
  }
  return openClient(client, await directoryTarget(client));
}

async function openClient(client: Client, target: SocketTarget): Promise<void> {
  if (!isLoopbackUrl(target.url)) throw new Error('connect_non_loopback_url');
  const ws = new WebSocket(target.url, {
    perMessageDeflate: false,
    handshakeTimeout: HELLO_TIMEOUT_MS,
    ...(target.handshake?.headers ? { headers: { ...target.handshake.headers } } : {}),
  });
  // One listener for the socket's life, so no frame is missed between hello, sync and live.
  let phase: 'hello' | 'sync' | 'live' = 'hello';
  let onHello: (frame: ServerFrame) => void = () => undefined;
  let onSyncFrame: (frame: ServerFrame) => void = () => undefined;
  ws.on('message', (data: Buffer) => {
    const raw = data.toString();
    if (phase === 'live') return onFrame(client, raw);
    const decoded = decodeServerFrame(raw);
    if (!decoded.ok) return countError(`bad_frame_${decoded.reason}`);
    const frame = decoded.frame;
    if (phase === 'hello') return onHello(frame);
    if (frame.type.startsWith('sync.') || frame.type === 'error') {
      if (step) countFrame(frame.type, raw.length); // a resync's frames, during a step
      return onSyncFrame(frame);
    }
    return onFrame(client, raw);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('ws_hello_timeout'));
    }, HELLO_TIMEOUT_MS);
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      ws.terminate();
      reject(new Error(`ws_refused_${res.statusCode ?? 0}`));
    });
    ws.once('error', () => {
      clearTimeout(timer);
      reject(new Error('ws_error'));
    });
    ws.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`ws_closed_${code}`));
    });
    onHello = (frame) => {
      clearTimeout(timer);
      if (frame.type !== 'hello') return reject(new Error(`ws_unexpected_${frame.type}`));
      phase = init.syncOnConnect ? 'sync' : 'live';
      resolve();
    };
  });
  ws.removeAllListeners('error');
  ws.removeAllListeners('close');
  ws.removeAllListeners('unexpected-response');
  ws.on('error', () => countError('ws_error'));
  ws.on('close', (code) => {
    if (!closing && !dropped.has(ws)) countError(`ws_closed_${code}`);
  });
  client.ws = ws;
  const listen = (handler: (frame: ServerFrame) => void) => (onSyncFrame = handler);
  if (init.syncOnConnect) await syncV2(client, ws, listen);
  phase = 'live';
  client.resync = () => {
    if (phase !== 'live') return;
    phase = 'sync';
    syncV2(client, ws, listen).then(
      () => (phase = 'live'),
      () => countError('resync_failed'),
    );
  };
}

/**
 * Sync v2 after hello, as the client library does: a device that holds nothing sends a complete
 * round of no states, the tails of the conversations the server lists, then their states until a
 * round converges (the socket's held live pushes are released then); a returning one first sends
 * the summary of what it held, and its states only when that does not match. Resolves when
 * converged.
 */
function syncV2(
  client: Client,
  ws: WebSocket,
  listen: (handler: (frame: ServerFrame) => void) => void,
): Promise<void> {
  const states = new ConversationStates();
  const rounds = new SyncRounds('sync', summaryOf);
  const send = (frames: readonly SyncStatesFrame[]) => {
    for (const frame of frames) ws.send(JSON.stringify(frame));
  };
  const heldUpTo = (conversationId: string, seq: number) => {
    const last = client.lastSeq.get(conversationId) ?? 0;
    if (seq > last) client.lastSeq.set(conversationId, seq);
    client.pendingCursor.set(conversationId, Math.max(seq, last));
  };
  const source = tailingSource(states, () => client.held ?? []);
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('ws_sync_timeout')), 30_000);
    listen((frame) => {
      switch (frame.type) {
        case 'error': {
          clearTimeout(timer);
          ws.terminate();
          const retryable = ['unavailable', 'overloaded'].includes(String(frame.code));
          return reject(new Error(`sync_error_${retryable ? 503 : 0}_${frame.code}`));
        }
        case 'sync.messages':
          for (const m of frame.messages) {
            onSyncedMessage(client, m);
            states.observe(m);
            rounds.touch(m.conversationId);
            heldUpTo(m.conversationId, m.seq);
          }
          return;
        case 'sync.reset':
          for (const m of frame.messages) onSyncedMessage(client, m);
          states.reset(frame.conversationId, frame.lastSeq, frame.messages);
          rounds.touch(frame.conversationId);
          heldUpTo(frame.conversationId, frame.lastSeq);
          return;
        case 'sync.done': {
          if (!frame.converged) return send(rounds.next(frame, source));
          clearTimeout(timer);
          flushCursors(client);
          const kept = new Map((client.held ?? []).map((h) => [h.conversationId, h]));
          for (const id of rounds.touched) kept.set(id, states.state(id));
          client.held = [...kept.values()];
          return resolve();
        }
        default:
          return;
      }
    });
    // A returning device sums up what it held; a new one holds nothing.
    send(rounds.start(client.held ?? []));
  });
}

let connectedUpTo = 0;

function createClients(): void {
  const { accounts, devicesPerAccount, connections, gateways } = init;
  for (let k = 0; k < connections; k++) {
    const account = accounts[k % accounts.length];
    const device = Math.floor(k / accounts.length) % devicesPerAccount;
    const client: Client = {
      account,
      deviceId: devicesPerAccount > 1 ? `lt-${account.index}-${device}` : `lt-${account.index}`,
      // Spread the directory calls over the gateways given; the directory picks the socket's.
      gateway: gateways[(account.index + device) % gateways.length],
      lastSeq: new Map(),
      pendingCursor: new Map(),
    };
    clients.push(client);
    if (device === 0) byUser.set(account.index, client);
  }
}

/**
 * Connects one client. Like a real client: a 503 (`unavailable`/`overloaded`, e.g. a saturated
 * database pool) is retried after a pause; it is counted (`retry_<error>`) but is not a failure.
 */
async function connectWithRetries(client: Client): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await connectClient(client);
      return;
    } catch (error) {
      const code = error instanceof Error ? error.message : 'connect_failed';
      if (!code.includes('503') || attempt >= CONNECT_ATTEMPTS) throw error;
      countError(`retry_${code}`);
      client.ws = undefined;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

/** Connects this worker's clients up to `share` of them (the first call creates them all). */
async function connectShare(share: number): Promise<void> {
  if (clients.length === 0) createClients();
  const from = connectedUpTo;
  connectedUpTo = Math.min(clients.length, Math.round(clients.length * share));
  const started = nowMs();
  const latency = new Histogram();
  const byUrl: Record<string, number> = {};
  let connected = 0;
  let failed = 0;
  const interval = init.connectRate > 0 ? 1000 / init.connectRate : 0;
  await mapLimit(clients.slice(from, connectedUpTo), init.connectConcurrency, async (client, k) => {
    if (interval > 0) {
      const wait = started + k * interval - nowMs();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const t0 = nowMs();
    try {
      await connectWithRetries(client);
      latency.record(nowMs() - t0);
      connected++;
      byUrl[client.url ?? '?'] = (byUrl[client.url ?? '?'] ?? 0) + 1;
    } catch (error) {
      failed++;
      countError(error instanceof Error ? error.message : 'connect_failed');
    }
  });
  send({
    type: 'connected',
    workerIndex: init.workerIndex,
    connected,
    failed,
    byUrl,
    errors: { ...errors },
    elapsedMs: nowMs() - started,
    latency: latency.toJSON(),
  });
}

// ---------------------------------------------------------------------------------------------
// Frames

function onFrame(client: Client, raw: string): void {
  // The protocol library's codec, trusting the server: thousands of sockets' frames per second.
  const decoded = decodeServerFrame(raw, { validate: false });
  if (!decoded.ok) {
    if (decoded.reason !== 'unknown-type') countError('bad_frame');
    return;
  }
  const frame = decoded.frame;
  if (step) countFrame(frame.type, raw.length);
  if (presence?.observe(client, frame, raw.length)) return;
  switch (frame.type) {
    case 'accepted': {
      counters.accepted++;
      const p = pending.get(frame.clientMsgId);
      if (p && p.pair >= 0) conversations.set(p.pair, frame.conversationId);
      return;
    }
    case 'ack': {
      const p = pending.get(frame.clientMsgId);
      if (!p) return;
      pending.delete(frame.clientMsgId);
      // without \`accepted\` frames, learnt here
      if (p.pair >= 0) conversations.set(p.pair, frame.conversationId);
      if (step && p.step === step.step) {
        const now = nowMs();
        counters.acked++;
        ack.record(now - p.scheduled);
        ackedIds.push(p.id);
        if (p.group >= 0) ackedGroups.push(p.group);
        lastAckAt = now;
      }
      return;
    }
    case 'message':
      return onMessage(client, frame.message);
    case 'receipt':
      counters.receipts++;
      return;
    case 'sync.required':
      // The gateway could not keep this socket's pushes in order: a healthy run never sees it.
      countError(`sync_required_${frame.reason}`);
      return client.resync?.();
    case 'error': {
      countError(`error_${frame.code}`);
      if (frame.clientMsgId) pending.delete(frame.clientMsgId);
      return;
    }
    default:
      return;
  }
}

/** What the worker reads of a pushed or synced message. */
type PushedMessage = Pick<
  DeliveredMessage,
  'conversationId' | 'seq' | 'senderUsername' | 'clientMsgId' | 'text'
>;

function onMessage(client: Client, m: PushedMessage): void {
  if (m.senderUsername === client.account.username) return; // our own send, echoed to our device
  if (init.groups) return onGroupMessage(client, m);
  const partner = userIndexOf(m.senderUsername);
  if (partner >= 0) conversations.set(pairKey(client.account.index, partner), m.conversationId);
  let duplicate = false;
  const id = stepMessageId(m.clientMsgId);
  if (id !== undefined) {
    if (delivered.has(id)) {
      duplicate = true;
      counters.duplicates++;
    } else {
      countPairDelivery(id, m.text);
    }
  }
  const last = client.lastSeq.get(m.conversationId) ?? 0;
  if (m.seq <= last) {
    if (!duplicate) counters.outOfOrder++;
  } else {
    client.lastSeq.set(m.conversationId, m.seq);
    client.pendingCursor.set(m.conversationId, m.seq);
  }
}

/** The number of one of this step's messages, from its clientMsgId (undefined: not one). */
function stepMessageId(clientMsgId: string): number | undefined {
  const ours = `${init.runTag}-`;
  if (!step || !clientMsgId.startsWith(ours)) return undefined;
  const dash = clientMsgId.indexOf('-', ours.length);
  if (Number(clientMsgId.slice(ours.length, dash)) !== step.step) return undefined;
  return Number(clientMsgId.slice(dash + 1));
}

/** The seqs a socket was given in a conversation during this step. */
function seenOf(client: Client, conversationId: string): SeenSeqs {
  client.seen ??= new Map();
  let seen = client.seen.get(conversationId);
  if (!seen) client.seen.set(conversationId, (seen = new SeenSeqs()));
  return seen;
}

/** The recipient's first delivery of message `id` (pairs), timed from its scheduled send. */
function countPairDelivery(id: number, text: string): void {
  delivered.add(id);
  counters.delivered++;
  const space = text.indexOf(' ', TEXT_PREFIX.length);
  delivery.record(nowMs() - Number(text.slice(TEXT_PREFIX.length, space)));
}

/** One socket's first delivery of message `id` (groups), timed from its scheduled send. */
function countGroupDelivery(id: number, text: string): void {
  const now = nowMs();
  deliveredCounts.set(id, (deliveredCounts.get(id) ?? 0) + 1);
  counters.delivered++;
  lastDeliveryAt = now;
  const space = text.indexOf(' ', TEXT_PREFIX.length);
  delivery.record(now - Number(text.slice(TEXT_PREFIX.length, space)));
}

/**
 * A group's message on one member's socket: every socket counts its own first delivery of each
 * message (a message has many recipients), and a seq given twice to one socket is a duplicate.
 */
function onGroupMessage(client: Client, m: PushedMessage): void {
  let duplicate = false;
  const id = stepMessageId(m.clientMsgId);
  if (id !== undefined) {
    if (!seenOf(client, m.conversationId).add(m.seq)) {
      duplicate = true;
      counters.duplicates++;
    } else {
      countGroupDelivery(id, m.text);
    }
  }
  const last = client.lastSeq.get(m.conversationId) ?? 0;
  if (m.seq <= last) {
    if (!duplicate) counters.outOfOrder++;
  } else {
    client.lastSeq.set(m.conversationId, m.seq);
    client.pendingCursor.set(m.conversationId, m.seq);
  }
}

/**
 * A message of the step that reached the socket in a sync round (after a `sync.required`) instead
 * of a live push: delivered, counted apart (`resynced`), as a real client that synced holds it. A
 * round may send what the socket already holds (a tail): that is neither a delivery nor a
 * duplicate.
 */
function onSyncedMessage(client: Client, m: PushedMessage): void {
  if (m.senderUsername === client.account.username) return;
  const id = stepMessageId(m.clientMsgId);
  if (id === undefined) return;
  if (init.groups) {
    if (!seenOf(client, m.conversationId).add(m.seq)) return;
    countGroupDelivery(id, m.text);
  } else {
    if (delivered.has(id)) return;
    countPairDelivery(id, m.text);
  }
  counters.resynced++;
}

/** Delivered-cursor reports are spread over this many slots per second. */
const CURSOR_SLOTS = 10;

/** Moves this device's delivered cursors (batched: one frame per conversation per second). */
function flushCursors(client: Client): void {
  if (!init.reportCursors) return client.pendingCursor.clear();
  if (client.pendingCursor.size === 0 || client.ws?.readyState !== WebSocket.OPEN) return;
  for (const [conversationId, seq] of client.pendingCursor) {
    if (seq > 0)
      client.ws.send(`{"type":"delivered","conversationId":"${conversationId}","seq":${seq}}`);
  }
  client.pendingCursor.clear();
}

// ---------------------------------------------------------------------------------------------
// The open-loop schedule

function partnerOf(user: number, j: number, users: number): number {
  const offset = 1 + ((j * 7919 + user * 104_729) % (users - 1));
  return (user + offset) % users;
}

function runStep(s: WorkerStep): void {
  step = s;
  counters = emptyCounters();
  for (const key of Object.keys(errors)) delete errors[key];
  ack.reset();
  delivery.reset();
  lag.reset();
  ackedIds = [];
  delivered = new Set();
  lastAckAt = 0;
  ackedGroups = [];
  deliveredCounts = new Map();
  lastDeliveryAt = 0;
  frames = {};
  frameBytes = 0;
  for (const c of clients) c.seen = undefined;

  const users = init.usernames.length;
  const groups = init.groups;
  const senders = clients.filter(
    (c) =>
      byUser.get(c.account.index) === c &&
      (!groups || c.account.index % groups.online < groups.senders),
  );
  const groupOf = (c: Client) => (groups ? Math.floor(c.account.index / groups.online) : -1);
  const onlineByGroup = groups ? new Array<number>(groups.conversationIds.length).fill(0) : [];
  if (groups) {
    for (const c of clients)
      if (c.ws?.readyState === WebSocket.OPEN)
        onlineByGroup[groupOf(c)] = (onlineByGroup[groupOf(c)] ?? 0) + 1;
  }
  const schedule = new OpenLoopSchedule(
    s.startAt,
    s.rate,
    Math.round((s.rate * s.durationMs) / 1000),
  );
  const padding = 'x'.repeat(Math.max(0, s.textLength));

  // A timer, never a setImmediate spin: at 1 ms resolution each tick sends everything due (a
  // spinning loop would burn a core the stack under test shares). Latency is charged from the
  // scheduled time, so the timer's jitter shows up in `lag`, not hidden.
  const tick = () => {
    schedule.sendDue(nowMs(), sendOne);
    const wait = schedule.waitMs(nowMs());
    if (wait === Infinity) return;
    setTimeout(tick, Math.min(Math.max(1, Math.floor(wait)), 50));
  };

  const sendOne = (k: number, scheduled: number) => {
    const client = senders[Math.floor(Math.random() * senders.length)];
    const id = k * init.workers + init.workerIndex;
    if (groups) return sendToGroup(client, id, scheduled);
    const from = client.account.index;
    const to =
      init.partners > 0
        ? partnerOf(from, Math.floor(Math.random() * init.partners), users)
        : (from + 1 + Math.floor(Math.random() * (users - 1))) % users;
    const clientMsgId = `${init.runTag}-${s.step}-${id}`;
    const text = `${TEXT_PREFIX}${scheduled.toFixed(3)} ${padding}`.slice(
      0,
      Math.max(s.textLength, 24),
    );
    if (client.ws?.readyState !== WebSocket.OPEN) {
      countError('socket_not_open');
      return;
    }
    const pair = pairKey(from, to);
    const conversationId = conversations.get(pair);
    const frame = {
      type: 'send',
      clientMsgId,
      ...(conversationId ? { conversationId } : { to: init.usernames[to] }),
      text,
      ...(s.acceptedFrames ? {} : { accepted: false }),
    };
    pending.set(clientMsgId, { id, step: s.step, scheduled, pair, group: -1 });
    client.ws.send(JSON.stringify(frame));
    counters.sent++;
    lag.record(nowMs() - scheduled);
  };

  /** groups: the sender writes to its own group, by conversationId. */
  const sendToGroup = (client: Client | undefined, id: number, scheduled: number) => {
    if (!groups || !client || client.ws?.readyState !== WebSocket.OPEN) {
      countError('socket_not_open');
      return;
    }
    const group = groupOf(client);
    const clientMsgId = `${init.runTag}-${s.step}-${id}`;
    const text = `${TEXT_PREFIX}${scheduled.toFixed(3)} ${padding}`.slice(
      0,
      Math.max(s.textLength, 24),
    );
    pending.set(clientMsgId, { id, step: s.step, scheduled, pair: -1, group });
    client.ws.send(
      JSON.stringify({
        type: 'send',
        clientMsgId,
        conversationId: groups.conversationIds[group],
        text,
        ...(s.acceptedFrames ? {} : { accepted: false }),
      }),
    );
    counters.sent++;
    lag.record(nowMs() - scheduled);
  };

  const startIn = s.startAt - nowMs();
  setTimeout(tick, Math.max(0, startIn));

  const progress = setInterval(() => {
    send({ type: 'progress', workerIndex: init.workerIndex, counters: { ...counters } });
  }, 1000);
  // Every client reports its delivered cursors once a second, at its own phase within the
  // second (a tenth of the clients every 100 ms), as independent devices would: not all at once.
  let cursorSlot = 0;
  const cursors = setInterval(() => {
    for (let i = cursorSlot; i < clients.length; i += CURSOR_SLOTS) flushCursors(clients[i]);
    cursorSlot = (cursorSlot + 1) % CURSOR_SLOTS;
  }, 1000 / CURSOR_SLOTS);

  setTimeout(
    () => {
      clearInterval(progress);
      clearInterval(cursors);
      let unacked = 0;
      for (const [key, p] of pending) {
        if (p.step === s.step) {
          unacked++;
          pending.delete(key);
        }
      }
      send({
        type: 'stepResult',
        workerIndex: init.workerIndex,
        step: s.step,
        counters: { ...counters },
        errors: { ...errors },
        ack: ack.toJSON(),
        delivery: delivery.toJSON(),
        lag: lag.toJSON(),
        ackedIds,
        deliveredIds: groups ? [...deliveredCounts.keys()] : [...delivered],
        lastAckAt,
        unacked,
        ...(groups
          ? {
              ackedGroups,
              deliveredCounts: [...deliveredCounts.values()],
              onlineByGroup,
              lastDeliveryAt,
            }
          : {}),
        frames: { ...frames },
        frameBytes,
      });
      for (const c of clients) flushCursors(c);
    },
    Math.max(0, startIn) + s.durationMs + s.drainMs,
  );
}

// ---------------------------------------------------------------------------------------------

let closing = false;

/**
 * Closes every socket as a client going away does (1000) and waits for the closes; the devices
 * keep their states, and the next `connect` starts from the first device again.
 */
async function disconnectAll(): Promise<void> {
  closing = true;
  const open = clients.filter((c) => c.ws && c.ws.readyState !== WebSocket.CLOSED);
  await Promise.all(
    open.map(
      (c) =>
        new Promise<void>((resolve) => {
          const ws = c.ws as WebSocket;
          ws.once('close', () => resolve());
          ws.close(1000);
        }),
    ),
  );
  for (const c of clients) c.ws = undefined;
  connectedUpTo = 0;
  closing = false;
}

function closeAll(): void {
  closing = true;
  directory.close();
  for (const c of clients) c.ws?.close(1000);
  setTimeout(() => process.exit(0), 1000).unref();
  const check = setInterval(() => {
    if (clients.every((c) => !c.ws || c.ws.readyState === WebSocket.CLOSED)) {
      clearInterval(check);
      process.exit(0);
    }
  }, 50);
}

process.on('message', (message: CoordinatorMessage) => {
  switch (message.type) {
    case 'init':
      init = message;
      send({ type: 'ready', workerIndex: init.workerIndex });
      return;
    case 'connect':
      void connectShare(message.share).catch((error: unknown) =>
        send({ type: 'fatal', workerIndex: init.workerIndex, message: String(error) }),
      );
      return;
    case 'disconnect':
      void disconnectAll().then(() =>
        send({ type: 'disconnected', workerIndex: init.workerIndex }),
      );
      return;
    case 'step':
      runStep(message);
      return;
    case 'presenceSetup':
      void presenceLoad()
        .setup(message.concurrency)
        .catch((error: unknown) => fatal(error));
      return;
    case 'presenceStep':
      presenceLoad().step(message);
      return;
    case 'presenceStorm':
      void presenceLoad()
        .stormBegin(message)
        .catch((error: unknown) => fatal(error));
      return;
    case 'presenceStormEnd':
      presenceLoad().stormEnd();
      return;
    case 'close':
      closeAll();
      return;
  }
});

function fatal(error: unknown): void {
  send({ type: 'fatal', workerIndex: init.workerIndex, message: String(error) });
}

/** The presence workload over this worker's devices (one per user), made on first use. */
function presenceLoad(): PresenceLoad<Client> {
  if (presence) return presence;
  if (!init.presence) throw new Error('presence: the worker was not given the layout');
  if (clients.length === 0) createClients();
  presence = new PresenceLoad<Client>({
    presence: init.presence,
    usernames: init.usernames,
    workerIndex: init.workerIndex,
    clients: clients.filter((c) => byUser.get(c.account.index) === c),
    errors,
    countError,
    connect: connectWithRetries,
    drop: (client) => {
      if (!client.ws) return;
      dropped.add(client.ws);
      client.ws.terminate();
    },
    send,
  });
  return presence;
}
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (error) => {
  send({
    type: 'fatal',
    workerIndex: init?.workerIndex ?? -1,
    message: error.stack ?? String(error),
  });
  process.exit(1);
});
