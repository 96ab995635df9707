import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, createWriteStream, mkdirSync, openSync } from 'node:fs';
import { createServer, Server, Socket, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import type { AckFrame, AcceptedFrame, MessageFrame, ServerFrame } from '@parley/common';
import { createAccount, ParleyTestClient } from '@parley/testing';
import { testStack } from './support/test-stack';

/**
 * PostgreSQL unreachable for a while, then back: every message sent meanwhile is stored exactly
 * once, acked with gap-free seqs, and delivered once. The suite's storage is replaced by one whose
 * DATABASE_URL goes through a TCP proxy this test can cut; Kafka is the spool meanwhile.
 */
const stack = testStack();
const ROOT = join(__dirname, '..');
const STORAGE_ENTRY = join(ROOT, 'dist', 'apps', 'storage', 'src', 'main.js');
const OUTAGE_STORAGE_PORT = 4013;
const N = 30;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP proxy in front of PostgreSQL that can drop every open socket and refuse new ones. */
class BlockableProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private blocked = false;
  port = 0;

  constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {
    this.server = createServer((client) => this.accept(client));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('proxy has no port');
    this.port = address.port;
  }

  block(): void {
    this.blocked = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  unblock(): void {
    this.blocked = false;
  }

  async close(): Promise<void> {
    this.block();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.blocked) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(this.upstreamPort, this.upstreamHost);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ]) {
      this.sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.sockets.delete(a);
        b.destroy();
      });
    }
  }
}

/** The pid listening on a local TCP port (the suite's launcher runs in another process). */
function pidListeningOn(port: number): number {
  const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const match = /pid=(\d+)/.exec(out);
  if (!match) throw new Error(`no process listens on port ${port}`);
  return Number(match[1]);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function readiness(url: string): Promise<{ status: number; body: unknown }> {
  try {
    const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: await res.json() };
  } catch (err) {
    return { status: 0, body: String(err) };
  }
}

function storageEnv(port: number, databaseUrl: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.PARLEY_TEST_LOG_LEVEL ?? 'info',
    HOST: '127.0.0.1',
    PORT: String(port),
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    DATABASE_URL: databaseUrl,
  };
}

function logTo(child: ChildProcess, name: string): void {
  const dir = join(ROOT, '.data', 'test-logs');
  mkdirSync(dir, { recursive: true });
  const log = createWriteStream(join(dir, `${name}.log`), { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
}

function stopChild(child: ChildProcess, timeoutMs = 15000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Puts a storage back on the suite's port for the test files that run after this one. The suite's
 * launcher cannot stop it (it never knew it), so a small supervisor stops it when this jest
 * process exits or when the suite's session and presence are both gone (the teardown stops them).
 */
function restoreSuiteStorage(port: number): ChildProcess {
  const supervisor = `
    const { spawn } = require('node:child_process');
    const parent = process.ppid;
    const child = spawn(process.execPath, [process.env.STORAGE_ENTRY], { stdio: 'inherit' });
    const watched = [process.env.WATCH_SESSION, process.env.WATCH_PRESENCE];
    let misses = 0, stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15000).unref();
    };
    const up = (url) => fetch(url + '/health/live', { signal: AbortSignal.timeout(1000) })
      .then(() => true, () => false);
    setInterval(async () => {
      if (process.ppid !== parent) return stop();
      const answers = await Promise.all(watched.map(up));
      misses = answers.some(Boolean) ? 0 : misses + 1;
      if (misses >= 3) stop();
    }, 500).unref();
    process.on('SIGTERM', stop);
    child.on('exit', (code) => process.exit(code ?? 0));
  `;
  const dir = join(ROOT, '.data', 'test-logs');
  mkdirSync(dir, { recursive: true });
  // A file descriptor, not a pipe: nothing of the supervisor keeps this jest process alive.
  const log = openSync(join(dir, 'storage-restored.log'), 'a');
  const child = spawn(process.execPath, ['-e', supervisor], {
    cwd: ROOT,
    env: {
      ...storageEnv(port, stack.databaseUrl),
      STORAGE_ENTRY,
      WATCH_SESSION: stack.session,
      WATCH_PRESENCE: stack.presence,
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  return child;
}

describe('PostgreSQL outage behind storage', () => {
  const suiteStoragePort = Number(new URL(stack.storage).port);
  const outageStorageUrl = `http://127.0.0.1:${OUTAGE_STORAGE_PORT}`;
  const pgUrl = new URL(stack.databaseUrl);
  const proxy = new BlockableProxy(pgUrl.hostname, Number(pgUrl.port || 5432));
  let outageStorage: ChildProcess | undefined;
  let suiteStorageStopped = false;
  let db: Client;
  const clients: ParleyTestClient[] = [];

  beforeAll(async () => {
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();

    // Only this test's storage may consume accepted messages: stop the suite's one (it drains,
    // commits and leaves the consumer group on SIGTERM).
    const suitePid = pidListeningOn(suiteStoragePort);
    process.kill(suitePid, 'SIGTERM');
    suiteStorageStopped = true;
    await waitFor('the suite storage to exit', () => !isRunning(suitePid), 30000);

    await proxy.start();
    const proxied = new URL(stack.databaseUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    outageStorage = spawn(process.execPath, [STORAGE_ENTRY], {
      cwd: ROOT,
      env: storageEnv(OUTAGE_STORAGE_PORT, proxied.toString()),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    logTo(outageStorage, 'storage-outage');
    await waitFor(
      'the outage storage to be ready',
      async () => (await readiness(outageStorageUrl)).status === 200,
      60000,
    );
  }, 120000);

  afterAll(async () => {
    for (const c of clients) c.close();
    if (outageStorage) await stopChild(outageStorage);
    await proxy.close();
    await db.end();
    if (!suiteStorageStopped) return;
    restoreSuiteStorage(suiteStoragePort);
    await waitFor(
      'the restored suite storage to be ready',
      async () => (await readiness(stack.storage)).status === 200,
      60000,
    );
  }, 120000);

  it('spools sends in Kafka while PostgreSQL is down, then stores, acks and delivers each exactly once', async () => {
    const gateway = stack.gateways[0];
    const alice = await createAccount(gateway, 'alice');
    const bob = await createAccount(gateway, 'bob');
    const sender = await ParleyTestClient.connect(gateway, alice);
    const recipient = await ParleyTestClient.connect(gateway, bob);
    clients.push(sender, recipient);

    proxy.block();
    const clientMsgIds = Array.from({ length: N }, () => randomUUID());
    // The first send makes the 1:1 conversation (the gateway's own database path is not cut).
    sender.send({ type: 'send', clientMsgId: clientMsgIds[0], to: bob.username, text: 'during 0' });
    const first = await sender.next<AcceptedFrame>(
      (f) => f.type === 'accepted' && f.clientMsgId === clientMsgIds[0],
    );
    const { conversationId } = first;
    clientMsgIds
      .slice(1)
      .forEach((clientMsgId, i) =>
        sender.send({ type: 'send', clientMsgId, conversationId, text: `during ${i + 1}` }),
      );
    for (const clientMsgId of clientMsgIds.slice(1)) {
      const accepted = await sender.next<AcceptedFrame>(
        (f) => f.type === 'accepted' && f.clientMsgId === clientMsgId,
      );
      expect(accepted.conversationId).toBe(conversationId);
    }

    // Accepted (safe in Kafka) but not stored: no ack, no delivery, storage reports postgres down.
    await sleep(4000);
    const isAck = (f: ServerFrame) => f.type === 'ack';
    const isMessage = (f: ServerFrame): f is MessageFrame => f.type === 'message';
    expect(sender.frames.filter(isAck)).toEqual([]);
    expect(recipient.frames.filter(isMessage)).toEqual([]);
    const during = await readiness(outageStorageUrl);
    expect(during.status).toBe(503);
    expect(during.body).toMatchObject({ checks: { postgres: { status: 'down' } } });
    const stored = await db.query(
      `SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1`,
      [conversationId],
    );
    expect(stored.rows[0].n).toBe(0);

    proxy.unblock();
    const acks = new Map<string, AckFrame>();
    for (const clientMsgId of clientMsgIds) {
      acks.set(
        clientMsgId,
        await sender.next<AckFrame>(
          (f) => f.type === 'ack' && f.clientMsgId === clientMsgId,
          60000,
        ),
      );
    }
    const seqs = [...acks.values()].map((a) => a.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    for (const ack of acks.values()) expect(ack.conversationId).toBe(conversationId);

    // Exactly N rows, each with the seq its ack announced.
    const rows = await db.query<{ client_msg_id: string; seq: string }>(
      `SELECT client_msg_id, seq FROM messages WHERE sender_id = $1 AND client_msg_id = ANY($2)`,
      [alice.id, clientMsgIds],
    );
    expect(rows.rows).toHaveLength(N);
    for (const row of rows.rows) expect(Number(row.seq)).toBe(acks.get(row.client_msg_id)?.seq);

    // The recipient got each message exactly once, with the acked seq.
    await waitFor('every delivery', () => recipient.frames.filter(isMessage).length >= N, 30000);
    await sleep(1500);
    const delivered = recipient.frames.filter(isMessage).map((f) => f.message);
    expect(delivered).toHaveLength(N);
    expect(new Set(delivered.map((m) => m.clientMsgId))).toEqual(new Set(clientMsgIds));
    for (const m of delivered) expect(m.seq).toBe(acks.get(m.clientMsgId)?.seq);

    // A retry after recovery gets the ORIGINAL ack, and the recipient is not sent it again.
    const retried = clientMsgIds[7];
    sender.send({ type: 'send', clientMsgId: retried, conversationId, text: 'during 7' });
    const again = await sender.next<AckFrame>(
      (f) => f.type === 'ack' && f.clientMsgId === retried,
      30000,
    );
    expect(again).toEqual(acks.get(retried));
    await sleep(1500);
    expect(recipient.frames.filter(isMessage)).toHaveLength(N);
    const after = await db.query(
      `SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1`,
      [conversationId],
    );
    expect(after.rows[0].n).toBe(N);
  }, 180000);
});
