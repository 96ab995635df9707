export interface RestartBackoffOptions {
  /** The first restart's delay, and the delay again after a process stayed up `stableAfterMs`. */
  initialMs: number;
  /** Delays double after each quick exit, up to this. */
  maxMs: number;
  /** A process that ran this long before exiting counts as healthy: the delay starts over. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoffOptions = {
  initialMs: 500,
  maxMs: 5_000,
  stableAfterMs: 30_000,
};

/**
 * How long the stack launcher waits before restarting one service's process: 500 ms, doubling
 * with every exit that follows quickly (a crash loop) to at most 5 s, and back to 500 ms once the
 * process that exited had stayed up 30 s. One instance per service; no timers, no clock of its own.
 */
export class RestartBackoff {
  private nextMs: number;

  constructor(private readonly options: RestartBackoffOptions = DEFAULT_RESTART_BACKOFF) {
    this.nextMs = options.initialMs;
  }

  /** The delay before restarting a process that exited after running `uptimeMs`. */
  delayAfterExit(uptimeMs: number): number {
    if (uptimeMs >= this.options.stableAfterMs) this.nextMs = this.options.initialMs;
    const delay = this.nextMs;
    this.nextMs = Math.min(this.nextMs * 2, this.options.maxMs);
    return delay;
  }
}

/**
 * A lower bound on one restart's delay, with the reason said in the restart line; undefined: the
 * backoff alone decides.
 */
export type RestartFloor<S> = (service: S) => { ms: number; why: string } | undefined;

/**
 * How long a gateway's replacement waits while another gateway of the stack still serves. Its
 * clients reconnect to the survivors within a few seconds of the exit; on one host, a replacement
 * booting meanwhile takes about a fifth of the CPU that storm has (about 0.8 CPU-seconds of Nest,
 * TypeORM and module loading), and nobody needs it before the storm is over: the survivors hold
 * every client. A stack's last gateway restarts after the backoff alone.
 */
export const GATEWAY_PEER_FAILOVER_MS = 5_000;

interface StackMember {
  name: string;
  kind: string;
  process: { exitCode: number | null; signalCode: NodeJS.Signals | null };
}

/** The launcher's restart floor: GATEWAY_PEER_FAILOVER_MS for a gateway while a peer runs. */
export function gatewayFailoverFloor<S extends StackMember>(
  services: readonly S[],
): RestartFloor<S> {
  return (service) => {
    if (service.kind !== 'gateway') return undefined;
    const serving = services.filter(
      (s) =>
        s.kind === 'gateway' &&
        s.name !== service.name &&
        s.process.exitCode === null &&
        s.process.signalCode === null,
    );
    if (serving.length === 0) return undefined;
    return {
      ms: GATEWAY_PEER_FAILOVER_MS,
      why: `its clients fail over to ${serving.map((s) => s.name).join(', ')} first`,
    };
  };
}
