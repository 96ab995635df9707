import type { ReadablePosition } from '../read-model/conversation-states.read-model';

/**
 * One sync v2 round on one socket, over the `sync.states` frames it spans (until the frame with
 * `last`): what the device asked about so far and what it has been answered.
 */
export class SyncRound {
  /** Every conversation a frame of this round named (each is answered once). */
  readonly mentioned = new Set<string>();
  agreed = 0;
  /** Messages sent in this round (pages and resets). */
  messages = 0;
  readonly behind: string[] = [];
  readonly reset: string[] = [];
  readonly gone: string[] = [];
  /**
   * The user's conversations the round did not mention, when they were read together with the
   * asked ones (a complete round in one frame); otherwise read when the round finishes.
   */
  others?: ReadablePosition[];
  /** A summary round whose summary is not the server's: not converged, nothing listed. */
  summaryMismatched = false;

  constructor(
    /** The round's frames list every conversation the device holds. */
    readonly complete: boolean,
    /** Messages the round may still send. */
    public budget: number,
    /**
     * Every conversation of the user, by id, as the mismatched summary just before this round
     * read them (ClientConnection.summarised): the round starts from them.
     */
    readonly summarised?: ReadonlyMap<string, ReadablePosition>,
  ) {}

  /** Every state agreed with the server's: nothing was sent, nothing is missing. */
  get allAgreed(): boolean {
    return this.agreed === this.mentioned.size;
  }
}
