import { CloseCode, type ServerFrame } from '@parley/protocol';
import WebSocket from 'ws';
import type { TicketGrant } from '../connect/connect-ticket';
import type { ResumableSocket } from '../connect/resume-tickets';
import { OrderedDelivery } from '../deliver/ordered-delivery';
import type { SyncRound } from '../sync/sync-round';
import type { ReadablePosition } from '../read-model/conversation-states.read-model';
import { TokenBucket } from '../throttling/token-bucket';
import { streamOf, WriteCoalescer } from './write-coalescer';

/** One per process: every socket's frames of one event-loop turn leave in one write. */
const coalescer = new WriteCoalescer();

export type CloseReason =
  | 'client'
  | 'heartbeat-timeout'
  | 'shutdown'
  | 'error'
  | 'session-ended'
  | 'token-expired'
  | 'replaced';

/** The client closed the socket on purpose (a normal or going-away close). */
export function saidGoodbye(reason: CloseReason, code: number): boolean {
  return reason === 'client' && (code === 1000 || code === 1001);
}

/**
 * After this close the device will not resume the socket (the client said goodbye, another
 * socket of the device replaced it, its session or authorization ended): its resume ticket is
 * dropped. A drop, a missed heartbeat or this gateway shutting down keep it: that is when it is used.
 */
export function endsResumption(reason: CloseReason, code: number): boolean {
  if (reason === 'client') return saidGoodbye(reason, code);
  return reason === 'replaced' || reason === 'session-ended' || reason === 'token-expired';
}

/** The bounds one socket lives within (from the gateway's config). */
export interface ConnectionLimits {
  /** Frames waiting or settling before further frames are refused. */
  maxQueuedFrames: number;
  /** Bytes of frames waiting to be handled past which the socket stops reading (backpressure). */
  maxQueuedBytes: number;
  /** Unsent outgoing bytes past which the socket is closed (a client that does not read). */
  maxBufferedBytes: number;
  /** Non-send frames per second, and the burst. */
  frameRatePerSecond: number;
  frameBurst: number;
  /** Live pushes held while a sync v2 round runs (see OrderedDelivery). */
  maxHeldPushes: number;
  /**
   * How long a frame nobody waits on (a send's `accepted`) may wait for the socket's next frame
   * to leave with it (WriteCoalescer.linger); 0 sends it with its own turn's frames.
   */
  lingerMs: number;
}

/** `presence.state` and `presence.watch` frames per second per socket, and their burst. */
export const PRESENCE_FRAMES_PER_SECOND = 2;
export const PRESENCE_FRAME_BURST = 20;

/** setTimeout cannot wait longer than this (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * What a frame task may hand back: work that continues after the task let the next frame start
 * (a send queued for Kafka, waiting for its ack). It still counts against the frame bound.
 */
export interface Continuation {
  settled: Promise<void>;
}

/**
 * One client WebSocket on this gateway: who it is (from its connect ticket, never from frames),
 * which log-in session authorized it and until when, its liveness for the ping/pong heartbeat,
 * its frame budget, and a serial queue so its frames are handled one at a time in arrival order
 * (sends are queued for Kafka in the order the client sent them; the wait for Kafka's ack
 * overlaps with the next frames, see Continuation).
 */
export class ClientConnection {
  readonly userId: string;
  readonly username: string;
  readonly deviceId: string;
  /** The log-in session (access token `sid`); an `auth` frame may move it to the user's newer one. */
  sessionId: string;
  /** When the socket's authorization ends (epoch ms) unless renewed with an `auth` frame. */
  expiresAt: number;
  /** The socket started with sync v2 (ordered resume); its resume ticket carries that on. */
  readonly sync: TicketGrant['sync'];
  /** The single-use ticket (sent in the hello) that reopens this device's socket elsewhere. */
  resumeTicket?: string;
  alive = true;
  closeReason: CloseReason | undefined;
  /** Settles when connection.opened is published; connection.closed waits for it (same key order). */
  opened: Promise<void> = Promise.resolve();
  /** Non-send frames (sync, history, cursors, auth): sends have their own budget. */
  readonly frameBudget: TokenBucket;
  /** The order live pushes and sync pages reach this socket in (ordered resume, sync v2). */
  readonly delivery: OrderedDelivery;
  /** The sync v2 round in progress (its frames so far), if any. */
  syncRound?: SyncRound;
  /**
   * A sync v2 round has run on this socket since it became routable (the first round, and the
   * first after its routes were lost, waits until session routes to the socket).
   */
  synced = false;
  /**
   * The user's conversations, by id, as a mismatched summary read them (all of them: fewer than a
   * round's limit), for the round the device sends next; dropped when that round starts or pushes
   * are lost (the round then reads again).
   */
  summarised?: ReadonlyMap<string, ReadablePosition>;
  /**
   * Whether the device said it is in the foreground or the background (`presence.state`); a
   * socket starts `unreported`, which counts as the background.
   */
  presenceState: 'unreported' | 'foreground' | 'background' = 'unreported';
  /**
   * `presence.state` and `presence.watch` frames (each costs an event or a query): a person
   * changes these a few times a minute, so PRESENCE_FRAMES_PER_SECOND with a burst of
   * PRESENCE_FRAME_BURST is plenty; past it they are refused `rate_limited`.
   */
  readonly presenceBudget = new TokenBucket(
    PRESENCE_FRAMES_PER_SECOND,
    PRESENCE_FRAME_BURST,
    performance.now(),
  );
  /** When this socket last signalled typing per conversation (epoch ms): the typing throttle. */
  readonly typingSentAt = new Map<string, number>();
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private pendingBytes = 0;
  private paused = false;
  private expiryTimer?: NodeJS.Timeout;

  constructor(
    readonly id: string,
    readonly socket: WebSocket,
    grant: TicketGrant,
    private readonly limits: ConnectionLimits,
  ) {
    this.userId = grant.userId;
    this.username = grant.username;
    this.deviceId = grant.deviceId;
    this.sessionId = grant.sessionId;
    this.expiresAt = grant.expiresAt * 1000;
    this.sync = grant.sync;
    this.frameBudget = new TokenBucket(
      limits.frameRatePerSecond,
      limits.frameBurst,
      performance.now(),
    );
    this.delivery = new OrderedDelivery(limits.maxHeldPushes, grant.sync === 'v2');
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /**
   * Sends one frame if the socket is open; a socket that stopped reading is closed instead.
   * `linger`: nobody waits on this frame; it may wait up to the socket's `lingerMs` for the next
   * frame to leave in the same write.
   */
  send(frame: ServerFrame, options?: { linger: true }): void {
    if (this.isOpen) this.sendText(JSON.stringify(frame), options);
  }

  /** Sends an already serialised frame (one JSON text shared by several sockets). */
  sendText(text: string, options?: { linger: true }): void {
    if (!this.isOpen) return;
    if (this.socket.bufferedAmount > this.limits.maxBufferedBytes) {
      this.close(CloseCode.TryAgainLater, 'client is not reading', 'error');
      return;
    }
    const stream = streamOf(this.socket);
    if (stream) {
      if (options?.linger) coalescer.linger(stream, this.limits.lingerMs);
      else coalescer.hold(stream);
    }
    this.socket.send(text);
  }

  /**
   * Pushes to this socket may have been lost without a trace, and the device cannot tell: its
   * routes were lost and are being written again (DeviceRoutingReasserter), or this gateway's
   * delivery subscription dropped and was made again (DeliverySubscriber). A sync v2 socket holds
   * its pushes and is told to run a round (`sync.required`, `gap`), which first waits, as a first
   * round does, until session routes to the socket: every message is in that round or pushed
   * after it. A socket whose first round has not started needs nothing: that round waits.
   */
  pushesLost(): void {
    if (!this.synced && !this.syncRound) return;
    if (!this.delivery.interrupt()) return;
    this.synced = false;
    this.summarised = undefined;
    this.send({ type: 'sync.required', reason: 'gap' });
  }

  /** Who this socket is, for its resume ticket (issued by `gatewayId`). */
  resumable(gatewayId: string): ResumableSocket {
    return {
      userId: this.userId,
      username: this.username,
      deviceId: this.deviceId,
      gatewayId,
      sessionId: this.sessionId,
      expiresAt: this.expiresAt,
      ...(this.sync ? { sync: this.sync } : {}),
    };
  }

  close(code: number, reason: string, why: CloseReason): void {
    this.closeReason ??= why;
    // A lingering frame leaves with the close frame, at the end of this turn.
    const stream = streamOf(this.socket);
    if (stream) coalescer.hold(stream);
    this.socket.close(code, reason);
  }

  /** Its log-in session ended (log-out, a reused refresh token): 4001, not to be resumed. */
  closeSessionEnded(): void {
    this.close(CloseCode.SessionEnded, 'session ended', 'session-ended');
  }

  /** A newer socket of the same device took over: 4003, not to be resumed. */
  closeReplaced(): void {
    this.close(CloseCode.Replaced, 'replaced by a newer connection of this device', 'replaced');
  }

  terminate(why: CloseReason): void {
    this.closeReason ??= why;
    this.socket.terminate();
  }

  /**
   * (Re)arms the end of the socket's authorization: at `expiresAt` (epoch ms) the socket is closed
   * with CloseCode.TokenExpired unless an `auth` frame moved it on first.
   */
  authorizeUntil(expiresAt: number, now = Date.now()): void {
    this.expiresAt = expiresAt;
    clearTimeout(this.expiryTimer);
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, expiresAt - now));
    this.expiryTimer = setTimeout(
      () => this.close(CloseCode.TokenExpired, 'authorization expired', 'token-expired'),
      wait,
    );
    this.expiryTimer.unref();
  }

  /** The socket closed: nothing of it may fire any more. */
  dispose(): void {
    clearTimeout(this.expiryTimer);
  }

  /**
   * Queues `task` (for a frame of `bytes`) behind the frames already waiting; false (and not
   * queued) when `maxQueuedFrames` frames are waiting or still settling. The next frame starts
   * when the task's promise resolves; a returned Continuation keeps the frame counted until it
   * settles. Tasks handle their own errors.
   *
   * Memory: while more than `maxQueuedBytes` of frames wait to be handled, the socket stops
   * reading (TCP pushes back on the client) and reads again once half of it is handled. A fast
   * client is slowed, never refused, and a flood holds at most the bound plus one frame.
   */
  enqueue(task: () => Promise<Continuation | void>, bytes = 0): boolean {
    if (this.pending >= this.limits.maxQueuedFrames) return false;
    this.pending++;
    this.pendingBytes += bytes;
    if (!this.paused && this.pendingBytes > this.limits.maxQueuedBytes) {
      this.paused = true;
      this.socket.pause();
    }
    const handled = () => {
      this.pendingBytes -= bytes;
      if (this.paused && this.pendingBytes <= this.limits.maxQueuedBytes / 2) {
        this.paused = false;
        this.socket.resume();
      }
    };
    const settled = () => {
      this.pending--;
    };
    this.tail = this.tail.then(task).then(
      (more) => {
        handled();
        if (more) void more.settled.then(settled, settled);
        else settled();
      },
      () => {
        handled();
        settled();
      },
    );
    return true;
  }

  /** Frames waiting or settling on this socket. */
  get queued(): number {
    return this.pending;
  }
}
