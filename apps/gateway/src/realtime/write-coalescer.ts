/** The part of a stream the coalescer needs (a net.Socket under a ws WebSocket). */
export interface Corkable {
  cork(): void;
  uncork(): void;
  readonly destroyed?: boolean;
}

/**
 * Coalesces a socket's frames per event-loop turn: the first frame written to a socket in a turn
 * corks its TCP stream, and one `setImmediate` uncorks every stream corked in that turn, so the
 * `accepted`, `ack`, pushes and cursor frames a socket gets from one poll phase leave in one
 * `writev` instead of one syscall each. Frames keep their order (the stream is only held, never
 * reordered); the added wait is the rest of the current turn.
 */
export class WriteCoalescer {
  private readonly corked = new Set<Corkable>();
  private scheduled = false;

  constructor(
    private readonly schedule: (flush: () => void) => void = (flush) => void setImmediate(flush),
  ) {}

  /** Call before writing to `stream`: holds its writes until the end of this turn. */
  hold(stream: Corkable): void {
    if (this.corked.has(stream) || stream.destroyed) return;
    stream.cork();
    this.corked.add(stream);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(this.flush);
    }
  }

  /** Streams held and not yet flushed. */
  get holding(): number {
    return this.corked.size;
  }

  readonly flush = (): void => {
    this.scheduled = false;
    const streams = [...this.corked];
    this.corked.clear();
    for (const stream of streams) stream.uncork();
  };
}

/** The TCP stream under a `ws` WebSocket (its `_socket`, set once the upgrade completed). */
export function streamOf(socket: object): Corkable | undefined {
  const stream = (socket as { _socket?: Partial<Corkable> })._socket;
  return stream && typeof stream.cork === 'function' && typeof stream.uncork === 'function'
    ? (stream as Corkable)
    : undefined;
}
