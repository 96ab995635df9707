/**
 * One timer for "draw again when the next disappearing message expires": `set` it with the next
 * expiry after every change (the same time again changes nothing); it calls `fire` then (a little
 * after, so the message is past its time when drawn). Shared by the terminal and web clients.
 */
export class ExpiryAlarm {
  private timer?: ReturnType<typeof setTimeout>;
  private at?: number;

  constructor(private readonly fire: () => void) {}

  set(next: number | undefined, now: number = Date.now()): void {
    if (next === this.at) return;
    clearTimeout(this.timer);
    this.at = next;
    if (next === undefined) return;
    this.timer = setTimeout(
      () => {
        this.at = undefined;
        this.fire();
      },
      Math.max(0, next - now) + 20,
    );
    // In Node, a pending expiry does not keep the process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.at = undefined;
  }
}
