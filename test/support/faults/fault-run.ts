import { type ConversationAnswer } from '@parley/protocol';
import { createAccount, postJson } from '@parley/testing';
import { Client } from 'pg';
import type { ClientMembership, HistoryEvent, StoreSnapshot } from '../../../tools/faults/history';
import { checkHistory, type HistoryCheckResult } from '../../../tools/faults/history-checker';
import { FaultDevice } from './fault-device';

export interface FaultLoad {
  /** Conversations, each between two devices (so 2 x pairs devices). */
  pairs: number;
  /** Sends per second per device while the load runs. */
  ratePerDevice: number;
}

/** The devices of one fault run, their conversations and the history they record. */
export class FaultRun {
  readonly history: HistoryEvent[] = [];
  readonly devices: FaultDevice[] = [];
  /** Device name -> the one conversation it writes in. */
  private readonly conversationOf = new Map<string, string>();
  private sending?: NodeJS.Timeout;

  private constructor(private readonly databaseUrl: string) {}

  /**
   * Two devices per conversation, their HTTP and directory traffic spread over the gateways; every
   * device online (a hello) before this resolves.
   */
  static async start(
    gateways: readonly string[],
    databaseUrl: string,
    load: FaultLoad,
    label: string,
  ): Promise<FaultRun> {
    const run = new FaultRun(databaseUrl);
    const openPair = async (i: number) => {
      const gatewayA = gateways[i % gateways.length];
      const gatewayB = gateways[(i + 1) % gateways.length];
      const [a, b] = await Promise.all([
        createAccount(gatewayA, `f${label}a`),
        createAccount(gatewayB, `f${label}b`),
      ]);
      const opened = await postJson<ConversationAnswer>(
        `${gatewayA}/v1/conversations`,
        { with: b.username },
        a.accessToken,
      );
      if (opened.status !== 200 && opened.status !== 201) {
        throw new Error(`conversation: ${opened.status} ${JSON.stringify(opened.body)}`);
      }
      const conversationId = opened.body.conversation.id;
      for (const [name, gateway, account] of [
        [`${label}-${i}a`, gatewayA, a],
        [`${label}-${i}b`, gatewayB, b],
      ] as const) {
        run.devices.push(new FaultDevice(name, gateway, account, run.history));
        run.conversationOf.set(name, conversationId);
      }
    };
    // A few pairs at a time: registration hashes passwords (argon2id), the costly part.
    let nextPair = 0;
    const opener = async () => {
      for (let i = nextPair++; i < load.pairs; i = nextPair++) await openPair(i);
    };
    await Promise.all(Array.from({ length: Math.min(4, load.pairs) }, opener));
    // Start in batches too: each start is a connect, a ticket and a first sync.
    for (let i = 0; i < run.devices.length; i += 50) {
      await Promise.all(run.devices.slice(i, i + 50).map((d) => d.start()));
    }
    await waitUntil(() => run.devices.every((d) => d.hellos.length > 0), 'every device online');
    return run;
  }

  /** Steady load: every device sends `ratePerDevice` messages a second, spread over the second. */
  startLoad(ratePerDevice: number): void {
    const tickMs = 50;
    let credit = 0;
    const perTick = (ratePerDevice * this.devices.length * tickMs) / 1000;
    let next = 0;
    this.sending = setInterval(() => {
      credit += perTick;
      while (credit >= 1) {
        credit -= 1;
        this.sendFrom(this.devices[next++ % this.devices.length]);
      }
    }, tickMs);
  }

  /** One send from this device into its conversation now (outside the steady load). */
  sendFrom(device: FaultDevice): string {
    return device.send(this.conversationOf.get(device.name) as string);
  }

  /** When a message (by client message id) was first sent, or Infinity if not by this run. */
  sentAt(clientMsgId: string): number {
    for (const d of this.devices) {
      const at = d.sentAtOf(clientMsgId);
      if (at !== undefined) return at;
    }
    return Number.POSITIVE_INFINITY;
  }

  stopLoad(): void {
    clearInterval(this.sending);
    this.sending = undefined;
  }

  /** Waits until every send is acked or refused for good. */
  async settle(timeoutMs = 90_000): Promise<void> {
    await waitUntil(
      () => this.devices.every((d) => d.pending === 0),
      'every send acked or refused',
      timeoutMs,
    );
  }

  /** Every device reconnects and syncs until converged (as a returning user's device does). */
  async resyncAll(concurrency = 25): Promise<void> {
    const queue = [...this.devices];
    const worker = async () => {
      for (let d = queue.shift(); d; d = queue.shift()) await d.resync();
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  }

  /** The store's messages of this run's conversations, and each device's membership. */
  /**
   * The end of a scenario: the load stops, every send settles, every device syncs as a returning
   * user does, and the history checker reads what the devices saw against PostgreSQL.
   */
  async finishAndCheck(): Promise<{ result: HistoryCheckResult; sends: number }> {
    this.stopLoad();
    await this.settle();
    await this.resyncAll();
    const { store, members } = await this.snapshot();
    const result = checkHistory({ history: this.history, store, membership: members });
    return { result, sends: this.history.filter((e) => e.type === 'send').length };
  }

  async snapshot(): Promise<{ store: StoreSnapshot; members: ClientMembership[] }> {
    const conversations = [...new Set(this.conversationOf.values())];
    const db = new Client({ connectionString: this.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{
        conversation_id: string;
        seq: string;
        sender_id: string;
        client_msg_id: string;
        body: string;
      }>(
        `SELECT conversation_id, seq, sender_id, client_msg_id, body FROM messages
          WHERE conversation_id = ANY($1) ORDER BY conversation_id, seq`,
        [conversations],
      );
      const store: StoreSnapshot = Object.fromEntries(conversations.map((c) => [c, []]));
      for (const r of rows) {
        store[r.conversation_id].push({
          seq: Number(r.seq),
          senderId: r.sender_id,
          clientMsgId: r.client_msg_id,
          text: r.body,
        });
      }
      const members = this.devices.map((d) => ({
        client: d.name,
        userId: d.account.id,
        conversations: [this.conversationOf.get(d.name) as string],
      }));
      return { store, members };
    } finally {
      await db.end();
    }
  }

  async stop(): Promise<void> {
    this.stopLoad();
    await Promise.all(this.devices.map((d) => d.stop()));
  }
}

export async function waitUntil(
  done: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** p50, p99 and max of a list of durations (ms), rounded. */
export function percentiles(values: readonly number[]): { p50: number; p99: number; max: number } {
  if (values.length === 0) return { p50: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return {
    p50: Math.round(at(0.5)),
    p99: Math.round(at(0.99)),
    max: Math.round(sorted.at(-1) ?? 0),
  };
}
