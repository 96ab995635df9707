import {
  type ConversationState,
  type StateSummary,
  SUMMARY_MAX_CONVERSATIONS,
  type SyncDoneFrame,
  type SyncStatesFrame,
  SYNC_STATES_PER_FRAME,
  type TailRequest,
} from '@parley/protocol';

/** What a round names of one conversation: its state, or "send me its tail". */
export type SyncRoundItem = ConversationState | TailRequest;

/** A conversation of the user the device did not name (`sync.done`'s `unknown`). */
export type UnknownConversation = SyncDoneFrame['unknown'][number];

/** What the device holds, read when the next round is planned. */
export interface SyncRoundSource {
  /** Every state it holds: the complete round after a summary that did not match. */
  held(): readonly ConversationState[];
  /** A conversation still to settle (behind, reset or touched): its state, or a tail request. */
  item(conversationId: string): SyncRoundItem;
  /** A conversation of the user it did not name: a tail request, or a state from nothing. */
  unknown(conversation: UnknownConversation): SyncRoundItem;
}

/**
 * The rounds of one sync v2 (docs/PROTOCOL.md "Sync"), without I/O: which `sync.states` frames
 * start it and which follow each `sync.done` that did not converge. One plan for the client
 * library and the load tool, which each send the frames and keep the messages their own way.
 *
 * A device that holds states starts with their summary (one digest, one frame) and sends the
 * states, as a complete round, only when the summary does not match; one that holds none, or more
 * than a summary covers, sends its states at once. After that each round names what is still to
 * settle: the conversations the server listed as behind or reset, those that got messages or a
 * reset in the round just ended, and the unknown ones; gone ones are left out.
 */
export class SyncRounds {
  private roundCount = 0;
  private summaryRound = false;
  private touchedInRound = new Set<string>();
  private readonly touchedInSync = new Set<string>();

  constructor(
    private readonly ref: string,
    /** The summary of the held states (the client library's SHA-256, or Node's). */
    private readonly summarise: (states: readonly ConversationState[]) => StateSummary,
  ) {}

  /** Rounds sent in this sync, the first included. */
  get rounds(): number {
    return this.roundCount;
  }

  /** Every conversation that got messages or a reset in any round of this sync. */
  get touched(): ReadonlySet<string> {
    return this.touchedInSync;
  }

  /** The frames of a sync's first round, from every state the device holds. */
  start(held: readonly ConversationState[]): SyncStatesFrame[] {
    this.roundCount = 0;
    this.touchedInSync.clear();
    if (held.length === 0 || held.length > SUMMARY_MAX_CONVERSATIONS) return this.round(held, true);
    this.begin(true);
    return [
      {
        type: 'sync.states',
        ref: this.ref,
        states: [],
        summary: this.summarise(held),
        complete: true,
        last: true,
      },
    ];
  }

  /** A conversation got messages or a reset in the round in flight. */
  touch(conversationId: string): void {
    this.touchedInRound.add(conversationId);
    this.touchedInSync.add(conversationId);
  }

  /** The frames of the round after `done` (which did not converge). */
  next(done: SyncDoneFrame, source: SyncRoundSource): SyncStatesFrame[] {
    if (this.summaryRound) return this.round(source.held(), true);
    const gone = new Set(done.gone);
    const next = new Map<string, SyncRoundItem>();
    for (const id of [...done.behind, ...done.reset, ...this.touchedInRound]) {
      if (!gone.has(id)) next.set(id, source.item(id));
    }
    for (const unknown of done.unknown) next.set(unknown.conversationId, source.unknown(unknown));
    return this.round([...next.values()], false);
  }

  /** A round of states, in frames of at most SYNC_STATES_PER_FRAME (one frame when empty). */
  private round(items: readonly SyncRoundItem[], complete: boolean): SyncStatesFrame[] {
    this.begin(false);
    const pages = Math.max(1, Math.ceil(items.length / SYNC_STATES_PER_FRAME));
    return Array.from({ length: pages }, (_, i) => ({
      type: 'sync.states' as const,
      ref: this.ref,
      states: items.slice(i * SYNC_STATES_PER_FRAME, (i + 1) * SYNC_STATES_PER_FRAME),
      ...(complete ? { complete: true } : {}),
      last: i === pages - 1,
    }));
  }

  private begin(summary: boolean): void {
    this.roundCount++;
    this.summaryRound = summary;
    this.touchedInRound = new Set();
  }
}
