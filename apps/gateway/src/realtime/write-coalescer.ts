/** The part of a stream the coalescer needs (a net.Socket under a ws WebSocket). */
export interface Corkable {
  cork(): void;
  uncork(): void;
  readonly destroyed?: boolean;
}

/** How the coalescer waits: the end of this turn, a delay, and the monotonic clock. */
export interface CoalescerClock {
  endOfTurn(flush: () => void): void;
  after(ms: number, fire: () => void): void;
  now(): number;
}

const REAL_CLOCK: CoalescerClock = {
  endOfTurn: (flush) => void setImmediate(flush),
  after: (ms, fire) => void setTimeout(fire, ms).unref(),
  now: () => performance.now(),
};

/**
 * Coalesces a socket's frames per event-loop turn: the first frame written to a socket in a turn
 * corks its TCP stream, and one `setImmediate` uncorks every stream corked in that turn, so the
 * `accepted`, `ack`, pushes and cursor frames a socket gets from one poll phase leave in one
 * `writev` instead of one syscall each. Frames keep their order (the stream is only held, never
 * reordered); the added wait is the rest of the current turn.
 *
 * A frame nobody waits on may also linger (`linger`): its stream stays corked until the next frame
 * written to it in a later turn takes it along, or at the latest `ms` later. A send's `accepted`
 * lingers so that its `ack`, a few milliseconds behind it, leaves in the same write (one syscall
 * per send instead of two, on the gateway and on the client).
 */
export class WriteCoalescer {
  private readonly corked = new Set<Corkable>();
  /** Lingering streams and when each is due (clock ms); corked, not in `corked`. */
  private readonly lingering = new Map<Corkable, number>();
  private scheduled = false;
  /** When the linger timer fires next (clock ms), if it is armed. */
  private lingerDue?: number;

  constructor(private readonly clock: CoalescerClock = REAL_CLOCK) {}

  /** Call before writing to `stream`: holds its writes until the end of this turn. */
  hold(stream: Corkable): void {
    if (this.corked.has(stream) || stream.destroyed) return;
    // A lingering stream is corked already: it now leaves with this turn's frames.
    if (!this.lingering.delete(stream)) stream.cork();
    this.corked.add(stream);
    if (!this.scheduled) {
      this.scheduled = true;
      this.clock.endOfTurn(this.flush);
    }
  }

  /**
   * Call before writing a frame nobody waits on to `stream`: holds its writes until a later
   * `hold` (they leave with that turn's frames) or `ms` from now, whichever comes first.
   * 0 is `hold`.
   */
  linger(stream: Corkable, ms: number): void {
    if (ms <= 0) return this.hold(stream);
    if (this.corked.has(stream) || this.lingering.has(stream) || stream.destroyed) return;
    stream.cork();
    const due = this.clock.now() + ms;
    this.lingering.set(stream, due);
    this.armLinger(due);
  }

  /** Streams held or lingering, not yet flushed. */
  get holding(): number {
    return this.corked.size + this.lingering.size;
  }

  readonly flush = (): void => {
    this.scheduled = false;
    const streams = [...this.corked];
    this.corked.clear();
    for (const stream of streams) stream.uncork();
  };

  private armLinger(due: number): void {
    if (this.lingerDue !== undefined && this.lingerDue <= due) return;
    this.lingerDue = due;
    this.clock.after(Math.max(0, Math.ceil(due - this.clock.now())), () =>
      this.flushLingering(due),
    );
  }

  /** Uncorks the lingering streams that are due and re-arms for the earliest of the rest. */
  private flushLingering(armedFor: number): void {
    // A timer armed for a later time than an earlier one that replaced it: that one re-arms.
    if (this.lingerDue !== armedFor) return;
    this.lingerDue = undefined;
    const now = this.clock.now();
    let next: number | undefined;
    for (const [stream, due] of this.lingering) {
      if (due <= now) {
        this.lingering.delete(stream);
        stream.uncork();
      } else if (next === undefined || due < next) {
        next = due;
      }
    }
    if (next !== undefined) this.armLinger(next);
  }
}

/** The TCP stream under a `ws` WebSocket (its `_socket`, set once the upgrade completed). */
export function streamOf(socket: object): Corkable | undefined {
  const stream = (socket as { _socket?: Partial<Corkable> })._socket;
  return stream && typeof stream.cork === 'function' && typeof stream.uncork === 'function'
    ? (stream as Corkable)
    : undefined;
}
