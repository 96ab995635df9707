import { join } from 'node:path';

/**
 * The files the launcher keeps per service in its log folder, read by `scripts/stack.sh
 * kill|stop|start|…` and by the fault tests: the current process's pid, and the hold that keeps a
 * stopped service down.
 */
export function pidFileOf(logDir: string, name: string): string {
  return join(logDir, `${name}.pid`);
}

export function holdFileOf(logDir: string, name: string): string {
  return join(logDir, `${name}.hold`);
}
