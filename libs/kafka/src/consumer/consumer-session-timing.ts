export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
const MAX_HEARTBEAT_INTERVAL_MS = 3_000;

/**
 * The consumer's session timeout and heartbeat interval: heartbeats every 3 s, or a third of the
 * session timeout when that is shorter, so two can be lost before the broker gives up on a member.
 */
export function consumerSessionTiming(sessionTimeoutMs: number = DEFAULT_SESSION_TIMEOUT_MS): {
  sessionTimeout: number;
  heartbeatInterval: number;
} {
  return {
    sessionTimeout: sessionTimeoutMs,
    heartbeatInterval: Math.min(MAX_HEARTBEAT_INTERVAL_MS, Math.floor(sessionTimeoutMs / 3)),
  };
}
