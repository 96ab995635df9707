import { PRESENCE_WATCH_MAX, TYPING_MIN_INTERVAL_MS } from '@parley/protocol';

/**
 * The `presence` workload's layout and arithmetic (pure: unit-tested). C users (lt_<prefix>_0 ..
 * C-1) sit on a ring; user u watches the K users nearest to it (the next ceil(K/2) and the
 * previous floor(K/2)), so every user is watched by exactly K others, like friends who watch each
 * other. Each user holds 1:1 conversations with the next `conversations` users on the ring (made
 * once through the send path, by u), and types only in those. State changes are cycles: a user
 * goes to the background and comes back to the foreground `away` seconds later (two toggles);
 * users take their turn round-robin, so nobody starts a new cycle before the last one ended.
 */
export interface PresenceLayout {
  users: number;
  /** Users each one watches (K), at most PRESENCE_WATCH_MAX and users - 1. */
  watch: number;
  /** 1:1 conversations each user holds with the next users on the ring, and types in. */
  conversations: number;
}

export function planPresence(options: {
  users: number;
  watch: number;
  conversations: number;
}): PresenceLayout {
  const { users, watch, conversations } = options;
  if (!Number.isInteger(users) || users < 2) throw new Error('--users must be at least 2');
  if (!Number.isInteger(watch) || watch < 1 || watch > Math.min(PRESENCE_WATCH_MAX, users - 1))
    throw new Error(
      `--watch must be 1-${Math.min(PRESENCE_WATCH_MAX, users - 1)} (at most ${PRESENCE_WATCH_MAX} per socket, and fewer than --users)`,
    );
  const most = Math.min(aheadOf(watch), Math.floor((users - 1) / 2));
  if (!Number.isInteger(conversations) || conversations < 0 || conversations > most)
    throw new Error(
      `--conversations must be 0-${most} (the next users on the ring, among those each one watches)`,
    );
  return { users, watch, conversations };
}

/** Watched users ahead of a user on the ring (the rest are behind it). */
function aheadOf(watch: number): number {
  return Math.ceil(watch / 2);
}

/** The users `user` watches: the next ceil(K/2) and the previous floor(K/2) on the ring. */
export function watchedUsers(layout: PresenceLayout, user: number): number[] {
  const { users, watch } = layout;
  const ahead = aheadOf(watch);
  const out: number[] = [];
  for (let d = 1; d <= ahead; d++) out.push((user + d) % users);
  for (let d = 1; d <= watch - ahead; d++) out.push((user - d + users) % users);
  return out;
}

/** The users watching `user` (K of them: the ring is symmetric). */
export function watchersOf(layout: PresenceLayout, user: number): number[] {
  const { users, watch } = layout;
  const ahead = aheadOf(watch);
  const out: number[] = [];
  for (let d = 1; d <= ahead; d++) out.push((user - d + users) % users);
  for (let d = 1; d <= watch - ahead; d++) out.push((user + d) % users);
  return out;
}

/** The partners of the conversations `user` made and types in: the next users on the ring. */
export function conversationPartners(layout: PresenceLayout, user: number): number[] {
  return Array.from({ length: layout.conversations }, (_, j) => (user + j + 1) % layout.users);
}

/**
 * The idempotency key of the seed message `from` sends to `to`: the same on every run, so a rerun
 * stores nothing new and its `ack` still names the conversation (storage answers a repeated key
 * with the stored message).
 */
export function seedClientMsgId(to: number): string {
  return `lt-presence-${to}`;
}

/** The users of worker w of W (WorkerPool: account n goes to worker n mod W). */
export function usersOfWorker(users: number, workers: number, worker: number): number {
  return worker < users ? Math.floor((users - 1 - worker) / workers) + 1 : 0;
}

export interface PresenceRates {
  /** Cycles (background, then foreground `away` later) this worker starts per second. */
  cyclesPerSecond: number;
  /** Typing signals this worker sends per second. */
  typingPerSecond: number;
}

/**
 * Worker w's share: `changeRate` is toggles per user per second (a cycle is two), `typingRate`
 * signals per second over all users; each worker takes the share of its users.
 */
export function workerRates(
  users: number,
  workers: number,
  worker: number,
  changeRate: number,
  typingRate: number,
): PresenceRates {
  const mine = usersOfWorker(users, workers, worker);
  return {
    cyclesPerSecond: (changeRate * mine) / 2,
    typingPerSecond: (typingRate * mine) / users,
  };
}

/**
 * What the rates allow, or why not. A user's cycles come round every 2 / changeRate seconds: the
 * last one must be over (back in the foreground) by then. A (user, conversation) typing slot comes
 * round every users x conversations / typingRate seconds: the server drops a signal repeated
 * within TYPING_MIN_INTERVAL_MS, so a shorter turn is a warning.
 */
export function checkRates(
  layout: PresenceLayout,
  changeRate: number,
  typingRate: number,
  awayS: number,
): { error?: string; warning?: string; cycleTurnS: number; typingTurnS: number } {
  const cycleTurnS = changeRate > 0 ? 2 / changeRate : Infinity;
  const slots = layout.users * layout.conversations;
  const typingTurnS = typingRate > 0 ? (slots > 0 ? slots / typingRate : 0) : Infinity;
  if (changeRate > 0 && cycleTurnS <= awayS + 1)
    return {
      error: `--change-rate ${changeRate} brings a user's turn round every ${cycleTurnS.toFixed(1)} s, before it is back from --away ${awayS} s (at most ${(2 / (awayS + 1)).toFixed(3)})`,
      cycleTurnS,
      typingTurnS,
    };
  if (typingRate > 0 && slots === 0)
    return { error: '--typing-rate needs --conversations of at least 1', cycleTurnS, typingTurnS };
  if (typingRate > 0 && typingTurnS * 1000 < TYPING_MIN_INTERVAL_MS * 1.2)
    return {
      warning: `each (user, conversation) types every ${typingTurnS.toFixed(1)} s, close to the server's ${TYPING_MIN_INTERVAL_MS / 1000} s minimum: some signals may be dropped (raise --users or --conversations)`,
      cycleTurnS,
      typingTurnS,
    };
  return { cycleTurnS, typingTurnS };
}

/**
 * Typing slot s of a worker holding n users with h conversations each: consecutive slots are
 * different users, and a (user, conversation) comes round every n x h slots.
 */
export function typingSlot(slot: number, n: number, h: number): { position: number; j: number } {
  return { position: slot % n, j: Math.floor(slot / n) % h };
}

// ---------------------------------------------------------------------------------------------
// The reconnect storm

export interface ChangesPerUser {
  /** Users counted (the dropped devices' users, zeros included). */
  users: number;
  /** Of them, those with at least one change. */
  changed: number;
  max: number;
  mean: number;
  /** Users with more than one change: the target is none. */
  overOne: number;
  total: number;
}

/** Changes per user over `population` (users missing from `counts` had none). */
export function summarizeChangesPerUser(
  counts: ReadonlyMap<number, number>,
  population: readonly number[],
): ChangesPerUser {
  let changed = 0;
  let max = 0;
  let total = 0;
  let overOne = 0;
  for (const user of population) {
    const n = counts.get(user) ?? 0;
    if (n > 0) changed++;
    if (n > 1) overOne++;
    max = Math.max(max, n);
    total += n;
  }
  const users = population.length;
  return {
    users,
    changed,
    max,
    mean: users > 0 ? Math.round((total / users) * 1000) / 1000 : 0,
    overOne,
    total,
  };
}

/** Merges workers' per-user maxima (userId -> the most entries one watcher got about them). */
export function mergeMaxima(
  all: ReadonlyArray<Record<string, number>>,
  indexOf: ReadonlyMap<string, number>,
): Map<number, number> {
  const out = new Map<number, number>();
  for (const part of all) {
    for (const [userId, n] of Object.entries(part)) {
      const user = indexOf.get(userId);
      if (user === undefined) continue;
      out.set(user, Math.max(out.get(user) ?? 0, n));
    }
  }
  return out;
}

/** The users whose devices a storm of `n` drops: the first n (spread over every worker). */
export function stormUsers(users: number, n: number): number[] {
  return Array.from({ length: Math.min(n, users) }, (_, u) => u);
}

// ---------------------------------------------------------------------------------------------
// Events per second and per change

/** The Kafka topics of presence (libs/common Topic). */
export const CONNECTIONS_TOPIC = 'parley.connections.v1';
export const ACTIVITY_TOPIC = 'parley.activity.v1';
export const TYPING_TOPIC = 'parley.typing.v1';

/** Rounds to three significant decimals below 10, one below 100, none above (for reports). */
export function round3(value: number): number {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 3;
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

/** n / d rounded, or null when d is 0. */
export function ratio(n: number, d: number): number | null {
  return d > 0 ? round3(n / d) : null;
}
