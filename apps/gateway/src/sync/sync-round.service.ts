import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@parley/common';
import {
  type ConversationState,
  type DeliveredMessage,
  type SyncDoneFrame,
  type StateSummary,
  type SyncStatesFrame,
  stateSummary,
  stateWindow,
  type TailRequest,
} from '@parley/protocol';
import type { GatewayConfig } from '../config/gateway.config';
import { MessagingException } from '../errors/messaging.exception';
import {
  ConversationStatesReadModel,
  type ReadablePosition,
  type ReadableRange,
} from '../read-model/conversation-states.read-model';
import type { ClientConnection } from '../realtime/client-connection';
import { ChannelSubscriptions } from '../conversations/channel-subscriptions';
import { ReceiptsService } from '../receipts/receipts.service';
import { DeviceRoutingProbe } from './device-routing.probe';
import { SyncRound } from './sync-round';
import { type SyncStatement, syncMetrics } from './sync.metrics';
import { StateDigestCache } from './state-digest.cache';
import { digestOf, digestOfTail, emptyDigest, sha256 } from './state-digests';

/** A state that matched the server's digest at its seq, below the server's last. */
interface Behind extends ReadablePosition {
  serverLast: number;
}

type Config = Pick<
  GatewayConfig,
  | 'SYNC_PAGE_SIZE'
  | 'SYNC_ROUND_MAX_MESSAGES'
  | 'SYNC_ROUND_MAX_STATES'
  | 'SYNC_DIGEST_CACHE_ENTRIES'
>;

/**
 * Sync v2 (docs/PROTOCOL.md "Sync"): a device sends the states it holds, a round at a time; for
 * each conversation the server answers agreement (nothing), behind (the missing messages, in
 * pages of at most SYNC_PAGE_SIZE and at most SYNC_ROUND_MAX_MESSAGES per round), diverged or a
 * tail request (`sync.reset` with the server's state and last ten messages), gone (not a member),
 * read from another first seq (a member of a group that shows the history from joining reads
 * from the event that added it: `sync.reset` with `fromSeq`),
 * and, for a complete round, the conversations the device does not know (listed with their
 * state). The device repeats rounds until one converges. Meanwhile the socket holds live pushes
 * (OrderedDelivery); a converged round releases them. A round may instead be one summary of
 * every state the device holds ("A summary first"): converged when it is the server's, else
 * nothing listed and the device sends its states.
 *
 * Cost per frame: one query for the asked conversations' readable ranges (and membership), one
 * for the digest windows of the non-empty states whose digest this process does not remember (ten
 * primary-key rows each, text hashed by PostgreSQL; StateDigestCache; concurrent rounds' window
 * reads share a query, see ConversationStatesReadModel), and only when needed one
 * for tails and one for missing messages; a complete round's end adds one or two for the
 * conversations the device did not name (none when the round is one frame: its first query reads
 * them too). A summary round: one query for the user's conversations and one for the windows of
 * the digests not remembered; the round that follows a mismatched one reads no positions (it
 * starts from the summary's).
 */
@Injectable()
export class SyncRoundService {
  private readonly metrics = syncMetrics();
  private readonly digests: StateDigestCache;

  constructor(
    private readonly states: ConversationStatesReadModel,
    private readonly routing: DeviceRoutingProbe,
    private readonly receipts: ReceiptsService,
    private readonly channels: ChannelSubscriptions,
    @Inject(APP_CONFIG) private readonly config: Config,
  ) {
    this.digests = new StateDigestCache(config.SYNC_DIGEST_CACHE_ENTRIES);
  }

  /** One `sync.states` frame of a round. */
  async answer(connection: ClientConnection, frame: SyncStatesFrame): Promise<void> {
    let round = connection.syncRound;
    if (round && frame.summary) {
      throw MessagingException.invalid('summary', 'a summary starts a round of its own');
    }
    if (!round) {
      // What a mismatched summary read serves the round right after it, unless pushes were lost
      // since (the socket is not synced: the round waits and reads again).
      const summarised = connection.synced && !frame.summary ? connection.summarised : undefined;
      connection.summarised = undefined;
      round = new SyncRound(
        frame.complete ?? false,
        this.config.SYNC_ROUND_MAX_MESSAGES,
        summarised,
      );
      connection.syncRound = round;
      connection.delivery.startRound();
      if (!connection.synced) {
        // Read anyway after the wait: what is stored until session routes here goes to nobody,
        // so once it does, the device is told to sync again.
        if (!(await this.routing.waitRoutable(connection))) {
          this.routing.followUntilRoutable(connection, () => connection.pushesLost());
        }
        // Its channels' messages are pushed by subscription: loaded before the round reads.
        await this.channels.ready(connection.id);
      }
    }
    // The work, not the wait for session above.
    const started = performance.now();
    try {
      if (frame.summary)
        return await this.answerSummary(connection, round, frame.ref, frame.summary);
      await this.answerStates(connection, round, frame);
      if (frame.last !== false) await this.finish(connection, round, frame.ref);
    } catch (err) {
      connection.syncRound = undefined;
      throw err;
    } finally {
      this.metrics.seconds.observe((performance.now() - started) / 1000);
    }
  }

  private async answerStates(
    connection: ClientConnection,
    round: SyncRound,
    frame: SyncStatesFrame,
  ): Promise<void> {
    const asked = frame.states.filter((s) => !round.mentioned.has(s.conversationId));
    if (new Set(asked.map((s) => s.conversationId)).size !== asked.length) {
      throw MessagingException.invalid('states', 'names a conversation twice');
    }
    if (round.mentioned.size + asked.length > this.config.SYNC_ROUND_MAX_STATES) {
      throw MessagingException.invalid(
        'states',
        `one round carries at most ${this.config.SYNC_ROUND_MAX_STATES} conversations`,
      );
    }
    for (const s of asked) round.mentioned.add(s.conversationId);
    this.metrics.states.inc(asked.length);
    if (asked.length === 0) return;

    const ranges = await this.rangesOf(connection, round, frame, asked);
    const resets: string[] = [];
    const toVerify: { state: ConversationState; server: ReadableRange }[] = [];
    const behind: Behind[] = [];
    for (const s of asked) {
      const server = ranges.get(s.conversationId);
      if (server === undefined) {
        round.gone.push(s.conversationId);
        connection.delivery.forget(s.conversationId);
      } else if (
        isTailRequest(s) ||
        s.lastSeq > server.lastSeq ||
        (s.fromSeq ?? 1) !== server.fromSeq ||
        s.lastSeq < server.fromSeq - 1
      ) {
        resets.push(s.conversationId);
      } else if (s.lastSeq === server.fromSeq - 1) {
        // Holds nothing of what the member may read.
        if (s.digest !== emptyDigest(server.fromSeq)) resets.push(s.conversationId);
        else this.agreeOrBehind(connection, round, behind, s, server);
      } else {
        toVerify.push({ state: s, server });
      }
    }
    const position = (state: ConversationState, server: ReadableRange): ReadablePosition => ({
      conversationId: state.conversationId,
      seq: state.lastSeq,
      fromSeq: server.fromSeq,
    });
    // Each state's digest is looked up once, then held here (a hundred per returning device).
    const known = toVerify.map(({ state, server }) => this.digests.get(position(state, server)));
    const uncached = toVerify.flatMap(({ state, server }, i) =>
      known[i] === undefined ? [{ at: i, position: position(state, server) }] : [],
    );
    if (uncached.length > 0) {
      const windows = await this.query('windows', () =>
        this.states.windows(uncached.map((u) => u.position)),
      );
      for (const { at, position: p } of uncached) {
        const window = windows.get(p.conversationId) ?? [];
        const { from, to } = stateWindow(p.seq, p.fromSeq);
        // A window with rows missing (a seq past the last) has no digest: it cannot match.
        if (window.length === to - from + 1) {
          const digest = digestOf(p.seq, window, p.fromSeq);
          this.digests.set(p, digest);
          known[at] = digest;
        }
      }
    }
    for (const [i, { state, server }] of toVerify.entries()) {
      if (known[i] === state.digest) {
        this.agreeOrBehind(connection, round, behind, state, server);
      } else {
        resets.push(state.conversationId);
      }
    }
    await this.sendTails(
      connection,
      round,
      frame.ref,
      resets.flatMap((conversationId) => {
        const server = ranges.get(conversationId);
        return server ? [{ conversationId, seq: server.lastSeq, fromSeq: server.fromSeq }] : [];
      }),
    );
    await this.sendMissing(connection, round, frame.ref, behind);
  }

  /**
   * What the user may read of the asked conversations (first and last seqs). A complete round in a single frame (what a reconnecting
   * device usually sends) also needs the conversations it did not name: one query reads both.
   */
  private async rangesOf(
    connection: ClientConnection,
    round: SyncRound,
    frame: SyncStatesFrame,
    asked: readonly (ConversationState | TailRequest)[],
  ): Promise<Map<string, ReadableRange>> {
    const ids = asked.map((s) => s.conversationId);
    if (round.summarised) return this.rangesSummarised(connection, round.summarised, ids);
    if (!(round.complete && frame.last !== false && round.mentioned.size === asked.length)) {
      return this.query('ranges', () => this.states.ranges(connection.userId, ids));
    }
    const { ranges, others } = await this.query('positions', () =>
      this.states.positions(connection.userId, ids, this.config.SYNC_ROUND_MAX_STATES),
    );
    round.others = others;
    return ranges;
  }

  /**
   * The asked conversations' ranges as the mismatched summary just before the round read them
   * (every one of the user's conversations then; what was stored since is held as live pushes,
   * released when a round converges). An asked conversation it did not read (a silent channel, or
   * not the user's) is read as in any frame.
   */
  private async rangesSummarised(
    connection: ClientConnection,
    summarised: ReadonlyMap<string, ReadablePosition>,
    ids: readonly string[],
  ): Promise<Map<string, ReadableRange>> {
    const ranges = new Map<string, ReadableRange>();
    const unread: string[] = [];
    for (const id of ids) {
      const p = summarised.get(id);
      if (p) ranges.set(id, { fromSeq: p.fromSeq, lastSeq: p.seq });
      else unread.push(id);
    }
    if (unread.length > 0) {
      const read = await this.query('ranges', () => this.states.ranges(connection.userId, unread));
      for (const [id, range] of read) ranges.set(id, range);
    }
    return ranges;
  }

  private agreeOrBehind(
    connection: ClientConnection,
    round: SyncRound,
    behind: Behind[],
    state: ConversationState,
    server: ReadableRange,
  ): void {
    connection.delivery.know(state.conversationId, state.lastSeq);
    if (state.lastSeq === server.lastSeq) round.agreed++;
    else {
      behind.push({
        conversationId: state.conversationId,
        seq: state.lastSeq,
        fromSeq: server.fromSeq,
        serverLast: server.lastSeq,
      });
    }
  }

  /** `sync.reset` with the tail, for as many as the round's budget takes; the rest ask again. */
  private async sendTails(
    connection: ClientConnection,
    round: SyncRound,
    ref: string | undefined,
    positions: readonly ReadablePosition[],
  ): Promise<void> {
    if (positions.length === 0) return;
    const fitting = Math.max(0, Math.floor(round.budget / 10));
    const now = positions.slice(0, fitting);
    round.behind.push(...positions.slice(fitting).map((p) => p.conversationId));
    if (now.length === 0) return;
    const tails = await this.query('tails', () => this.states.tails(now));
    for (const { conversationId, fromSeq } of now) {
      const messages = tails.get(conversationId) ?? [];
      const lastSeq = messages.at(-1)?.seq ?? fromSeq - 1;
      const digest = digestOfTail(lastSeq, messages, fromSeq);
      this.digests.set({ conversationId, seq: lastSeq, fromSeq }, digest);
      connection.send({
        type: 'sync.reset',
        ...(ref !== undefined ? { ref } : {}),
        conversationId,
        lastSeq,
        digest,
        messages,
        ...(fromSeq > 1 ? { fromSeq } : {}),
      });
      connection.delivery.know(conversationId, lastSeq);
      this.counted(round, messages);
      round.reset.push(conversationId);
    }
  }

  /** The messages the behind states miss, in pages, within the round's budget. */
  private async sendMissing(
    connection: ClientConnection,
    round: SyncRound,
    ref: string | undefined,
    behind: readonly Behind[],
  ): Promise<void> {
    if (behind.length === 0) return;
    const messages =
      round.budget > 0
        ? await this.query('after', () => this.states.after(behind, round.budget))
        : [];
    for (let i = 0; i < messages.length; i += this.config.SYNC_PAGE_SIZE) {
      connection.send({
        type: 'sync.messages',
        ...(ref !== undefined ? { ref } : {}),
        messages: messages.slice(i, i + this.config.SYNC_PAGE_SIZE),
      });
    }
    const lastSent = new Map<string, number>();
    for (const m of messages) lastSent.set(m.conversationId, m.seq);
    for (const b of behind) {
      const upTo = lastSent.get(b.conversationId) ?? b.seq;
      connection.delivery.sent(b.conversationId, upTo);
      if (upTo < b.serverLast) round.behind.push(b.conversationId);
    }
    this.counted(round, messages);
  }

  /**
   * A summary round: the user's conversations and their states as this server holds them (one
   * query, digests as in any round), summarised and compared. Equal: every state agrees, the
   * round converges and the held pushes go. Otherwise nothing is listed: the device sends its
   * states in a round, which starts from the positions read here (the digests read here are
   * remembered for it).
   */
  private async answerSummary(
    connection: ClientConnection,
    round: SyncRound,
    ref: string | undefined,
    summary: StateSummary,
  ): Promise<void> {
    const others = await this.query('others', () =>
      this.states.othersOf(connection.userId, [], this.config.SYNC_ROUND_MAX_STATES),
    );
    const matched =
      others.length === summary.conversations &&
      stateSummary(await this.statesOf(others), sha256).digest === summary.digest;
    this.metrics.summaries.inc({ outcome: matched ? 'matched' : 'mismatched' });
    if (matched) {
      for (const o of others) {
        round.mentioned.add(o.conversationId);
        connection.delivery.know(o.conversationId, o.seq);
      }
      round.agreed = others.length;
      this.metrics.states.inc(others.length);
    } else {
      round.summaryMismatched = true;
      // All of them (a full list may have been cut): the device's states follow.
      if (others.length < this.config.SYNC_ROUND_MAX_STATES) {
        connection.summarised = new Map(others.map((p) => [p.conversationId, p]));
      }
    }
    this.conclude(connection, round, ref, []);
  }

  private async finish(
    connection: ClientConnection,
    round: SyncRound,
    ref: string | undefined,
  ): Promise<void> {
    const others = round.complete ? (round.others ?? (await this.othersOf(connection, round))) : [];
    this.conclude(connection, round, ref, await this.statesOf(others));
  }

  /** The user's conversations a complete round did not mention (id order, at most the limit). */
  private async othersOf(
    connection: ClientConnection,
    round: SyncRound,
  ): Promise<readonly ReadablePosition[]> {
    if (round.summarised) {
      return [...round.summarised.values()].filter((p) => !round.mentioned.has(p.conversationId));
    }
    return this.query('others', () =>
      this.states.othersOf(
        connection.userId,
        [...round.mentioned],
        this.config.SYNC_ROUND_MAX_STATES,
      ),
    );
  }

  /** The states of these positions, with their digests (remembered, or read in one query). */
  private async statesOf(positions: readonly ReadablePosition[]): Promise<ConversationState[]> {
    // Each digest is looked up once (a hundred per returning device).
    const digests: string[] = [];
    const missing: number[] = [];
    positions.forEach((o, i) => {
      const digest = o.seq < o.fromSeq ? emptyDigest(o.fromSeq) : this.digests.get(o);
      if (digest === undefined) missing.push(i);
      else digests[i] = digest;
    });
    if (missing.length > 0) {
      const windows = await this.query('windows', () =>
        this.states.windows(missing.map((i) => positions[i])),
      );
      for (const i of missing) {
        const o = positions[i];
        digests[i] = digestOf(o.seq, windows.get(o.conversationId) ?? [], o.fromSeq);
        this.digests.set(o, digests[i]);
      }
    }
    return positions.map((o, i) => ({
      conversationId: o.conversationId,
      lastSeq: o.seq,
      digest: digests[i],
      ...(o.fromSeq > 1 ? { fromSeq: o.fromSeq } : {}),
    }));
  }

  /** `sync.done`; a converged round releases the socket's held pushes. */
  private conclude(
    connection: ClientConnection,
    round: SyncRound,
    ref: string | undefined,
    unknown: SyncDoneFrame['unknown'],
  ): void {
    const converged = round.allAgreed && !round.summaryMismatched && unknown.length === 0;
    connection.syncRound = undefined;
    connection.synced = true;
    this.metrics.rounds.inc({ outcome: converged ? 'converged' : 'not_converged' });
    connection.send({
      type: 'sync.done',
      ...(ref !== undefined ? { ref } : {}),
      converged,
      agreed: round.agreed,
      messages: round.messages,
      behind: round.behind,
      reset: round.reset,
      unknown,
      gone: round.gone,
    });
    if (!converged) return;
    const released = connection.delivery.release((text) => connection.sendText(text));
    if (released !== 'released') connection.send({ type: 'sync.required', reason: released });
  }

  private counted(round: SyncRound, messages: readonly DeliveredMessage[]): void {
    round.messages += messages.length;
    round.budget -= messages.length;
    this.metrics.messages.inc(messages.length);
    for (const m of messages) this.receipts.observeStored(m.conversationId, m.seq);
  }

  private query<T>(statement: SyncStatement, run: () => Promise<T>): Promise<T> {
    this.metrics.queries.inc({ statement });
    return run();
  }
}

function isTailRequest(s: ConversationState | TailRequest): s is TailRequest {
  return 'tail' in s;
}
