import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppException } from '@parley/common';
import { ErrorCode } from '@parley/protocol';

/** Every failpoint storage has, each named after the place it fires. */
export const FAILPOINT_NAMES = ['storage.crash-after-commit'] as const;
export type FailpointName = (typeof FAILPOINT_NAMES)[number];

export function isFailpointName(name: string): name is FailpointName {
  return (FAILPOINT_NAMES as readonly string[]).includes(name);
}

/** Ends this process at once, as a crash or an OOM kill would: no shutdown hooks, no flush. */
export type KillProcess = () => void;
export const KILL_PROCESS = Symbol('KILL_PROCESS');
export const killThisProcess: KillProcess = () => {
  process.kill(process.pid, 'SIGKILL');
};

/**
 * Test failpoints: fault tests arm one (POST /internal/failpoints/:name, served only under
 * NODE_ENV=test), and the code path that calls `hit(name)` next kills the process there, e.g.
 * between storage's database commit and its fan-out. Arming lives in this
 * process's memory: a hit disarms it, and the restarted process starts with nothing armed.
 */
@Injectable()
export class FailpointsService {
  private readonly logger = new Logger(FailpointsService.name);
  private readonly armed = new Set<FailpointName>();

  constructor(@Inject(KILL_PROCESS) private readonly kill: KillProcess) {}

  /** Arms a failpoint by name; an unknown name is NotFound. */
  arm(name: string): void {
    if (!isFailpointName(name)) throw new AppException(ErrorCode.NotFound, 'Unknown failpoint');
    this.armed.add(name);
    this.logger.warn({ failpoint: name }, 'failpoint armed');
  }

  /** Kills the process if `name` is armed (disarming it first); otherwise does nothing. */
  hit(name: FailpointName): void {
    if (!this.armed.delete(name)) return;
    this.logger.warn({ failpoint: name }, 'failpoint hit: killing the process');
    this.kill();
  }
}
