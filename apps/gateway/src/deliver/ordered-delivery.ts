/** What became of one live push (see OrderedDelivery.push). */
export type PushOutcome = 'sent' | 'held' | 'dropped' | 'resync';

/** A held or passing live push: the message's position and its serialised `message` frame. */
interface LivePush {
  conversationId: string;
  seq: number;
  text: string;
}

/**
 * The order in which stored messages reach ONE socket (ordered resume, sync v2). For a socket that
 * declared sync v2 (its connect ticket), live pushes are held from its first moment until its
 * sync round converges, then released without what the sync already sent; afterwards each push
 * must be the next seq of its conversation for this socket. So within a conversation a socket
 * never receives a seq lower than one it was already sent, and never one above a hole:
 *
 * - a push at or below what the socket holds is dropped (a replay, or a page already had it);
 * - a push above a hole (a push that never arrived) is held, and the socket is told to sync
 *   (`resync`): its next round sends what is missing, and the release drops what it covered;
 * - past `maxHeld` held pushes the held ones are dropped (the sync covers them: they are stored)
 *   and the release asks for another round instead.
 *
 * A socket that did not declare sync v2 gets every push as it comes (sync v1 behaviour). Pure:
 * the caller sends what `send` is given and the frames the outcomes call for.
 */
export class OrderedDelivery {
  private holding: boolean;
  private tracking: boolean;
  private held: LivePush[] = [];
  private overflowed = false;
  /** Per conversation: the highest seq this socket holds, from its sync states and what it was sent. */
  private readonly upTo = new Map<string, number>();

  constructor(
    private readonly maxHeld: number,
    syncV2: boolean,
  ) {
    this.holding = syncV2;
    this.tracking = syncV2;
  }

  get isHolding(): boolean {
    return this.holding;
  }

  /** Held pushes right now (bounded by maxHeld). */
  get heldCount(): number {
    return this.held.length;
  }

  /** What the socket is known to hold of a conversation, if known. */
  position(conversationId: string): number | undefined {
    return this.upTo.get(conversationId);
  }

  /** A live push for this socket. */
  push(
    conversationId: string,
    seq: number,
    text: string,
    send: (text: string) => void,
  ): PushOutcome {
    if (!this.tracking) {
      send(text);
      return 'sent';
    }
    if (this.holding) {
      this.hold({ conversationId, seq, text });
      return 'held';
    }
    return this.pass({ conversationId, seq, text }, send);
  }

  /** A sync round starts: hold live pushes until it converges. */
  startRound(): void {
    this.tracking = true;
    this.holding = true;
  }

  /**
   * Pushes to this socket may have been lost without a trace (see ClientConnection.pushesLost):
   * hold from now until a round converges. True when the socket
   * tracks order and so must be told to run a round; a sync v1 socket has no rounds.
   */
  interrupt(): boolean {
    if (!this.tracking) return false;
    this.holding = true;
    return true;
  }

  /** The device says it holds `conversationId` up to `seq` (its state in a round). */
  know(conversationId: string, seq: number): void {
    this.upTo.set(conversationId, seq);
  }

  /** The sync sent this socket messages of `conversationId` up to `seq`. */
  sent(conversationId: string, seq: number): void {
    this.upTo.set(conversationId, Math.max(this.upTo.get(conversationId) ?? 0, seq));
  }

  /**
   * The socket's own send was stored at `seq` (its ack): the device holds that message (it is not
   * pushed back to it), so the next push follows it. Only when it is the next seq: an ack above a
   * hole leaves the hole to be found by the next push.
   */
  acked(conversationId: string, seq: number): void {
    if (!this.tracking) return;
    if (seq === (this.upTo.get(conversationId) ?? 0) + 1) this.upTo.set(conversationId, seq);
  }

  /** The conversation is not the user's any more. */
  forget(conversationId: string): void {
    this.upTo.delete(conversationId);
  }

  /**
   * The round converged: the held pushes go out in arrival order, without the ones the socket
   * already holds. 'overflow' or 'gap' (the socket keeps holding) when pushes were dropped for the
   * bound or a held push sits above a hole: the device must run another round.
   */
  release(send: (text: string) => void): 'released' | 'overflow' | 'gap' {
    if (this.overflowed) {
      this.overflowed = false;
      this.held = [];
      return 'overflow';
    }
    this.holding = false;
    const held = this.held;
    this.held = [];
    for (const [i, push] of held.entries()) {
      if (this.pass(push, send) === 'resync') {
        // `pass` held this one and went back to holding; keep the rest behind it.
        for (const rest of held.slice(i + 1)) this.hold(rest);
        return 'gap';
      }
    }
    return 'released';
  }

  private pass(push: LivePush, send: (text: string) => void): PushOutcome {
    const known = this.upTo.get(push.conversationId) ?? 0;
    if (push.seq <= known) return 'dropped';
    if (push.seq !== known + 1) {
      this.holding = true;
      this.hold(push);
      return 'resync';
    }
    this.upTo.set(push.conversationId, push.seq);
    send(push.text);
    return 'sent';
  }

  private hold(push: LivePush): void {
    if (this.overflowed) return;
    if (this.held.length >= this.maxHeld) {
      this.held = [];
      this.overflowed = true;
      return;
    }
    this.held.push(push);
  }
}
