/**
 * The pause before a consumer's next fetch once a fetch brought records. kafkajs fetches again
 * when every batch of the last fetch has returned; each batch's handler call also waits for
 * `pause()`, and every batch of one fetch shares the same pause (it starts with the fetch's first
 * batch), so the next fetch comes at most `ms` later and records arriving meanwhile come in one
 * fetch (one request, one group commit, one publish) instead of one fetch each. An idle consumer
 * never pauses: no batch, no pause; its fetch is a long poll that returns with the first record.
 */
export class FetchLinger {
  private current: Promise<void> | undefined;

  constructor(private readonly ms: number) {}

  /** The pause this batch waits for, or undefined when lingering is off. */
  pause(): Promise<void> | undefined {
    if (this.ms <= 0) return undefined;
    this.current ??= new Promise((resolve) =>
      setTimeout(() => {
        this.current = undefined;
        resolve();
      }, this.ms),
    );
    return this.current;
  }
}
