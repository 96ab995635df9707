/** One handler call waiting for its events to be written with the group it lands in. */
export interface GroupMember<E, R> {
  readonly events: readonly E[];
  resolve(result: R): void;
  reject(err: unknown): void;
}

/**
 * Group commit across partition batches. A consumer hands over several partition batches at
 * once (one per partition in the fetch); writing each in its own transaction costs a round trip
 * and a WAL flush apiece and holds a pool connection each. Here an idle queue first lets the
 * event-loop turn end (one `setImmediate`), so every partition batch of one fetch goes in the
 * first group; batches that arrive while a group is being written wait, then go together as the
 * next group (up to `maxEvents`). Groups grow with load and nothing waits on a timer.
 * `writeGroup` settles every member it is given: each caller still resolves only once its own
 * events are durable.
 */
export class GroupCommitQueue<E, R> {
  private readonly waiting: GroupMember<E, R>[] = [];
  private running = false;

  constructor(
    private readonly writeGroup: (group: GroupMember<E, R>[]) => Promise<void>,
    private readonly maxEvents: number,
  ) {}

  submit(events: readonly E[]): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ events, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.waiting.length > 0) {
        const group: GroupMember<E, R>[] = [];
        let size = 0;
        // A batch bigger than maxEvents still goes, alone.
        while (
          this.waiting.length > 0 &&
          (group.length === 0 || size + this.waiting[0].events.length <= this.maxEvents)
        ) {
          const next = this.waiting.shift() as GroupMember<E, R>;
          group.push(next);
          size += next.events.length;
        }
        try {
          await this.writeGroup(group);
        } catch (err) {
          for (const member of group) member.reject(err); // settling twice is a no-op
        }
      }
    } finally {
      this.running = false;
    }
  }
}
