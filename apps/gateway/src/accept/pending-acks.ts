import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, periodic, type StopPeriodic } from '@parley/common';
import type { GatewayConfig } from '../config/gateway.config';
import { MessagingException } from '../errors/messaging.exception';

/** An entry older than this lost its ack (socket gone, a missed push): the client syncs anyway. */
const FORGET_AFTER_MS = 60_000;
const SWEEP_EVERY_MS = 5_000;

type Limits = Pick<
  GatewayConfig,
  'GATEWAY_MAX_UNACKED_SENDS' | 'GATEWAY_MAX_UNACKED_PER_CONNECTION'
>;

/**
 * The accept step's pushback on the whole pipeline, not only on Kafka (owned by the accept step
 * alone: MessageAcceptService admits, acknowledges and forgets through it): the sends this gateway accepted whose `ack`
 * (stored in PostgreSQL) has not come back yet. When storage falls behind (more offered than the
 * pipeline persists), acks slow down, this count grows, and past its bound new sends are refused
 * with `overloaded` (retry later with the same clientMsgId) instead of piling up in Kafka without
 * limit. A per-connection bound keeps one client from taking the whole budget. Memory is bounded
 * by both; entries whose ack never arrives are forgotten after a minute.
 */
@Injectable()
export class PendingAcks implements OnModuleInit, OnModuleDestroy {
  private readonly byConnection = new Map<string, Map<string, number>>();
  private total = 0;
  private stopSweeper?: StopPeriodic;

  constructor(@Inject(APP_CONFIG) private readonly limits: Limits) {}

  onModuleInit(): void {
    this.stopSweeper = periodic(SWEEP_EVERY_MS, () =>
      this.forgetOlderThan(Date.now() - FORGET_AFTER_MS),
    );
  }

  onModuleDestroy(): void {
    this.stopSweeper?.();
  }

  get count(): number {
    return this.total;
  }

  /** Records a send about to be published; throws `overloaded` when a bound is reached. */
  admit(connectionId: string, clientMsgId: string, now = Date.now()): void {
    const mine = this.byConnection.get(connectionId);
    if (mine?.has(clientMsgId)) return; // a resend of one still in flight: already counted
    if (this.total >= this.limits.GATEWAY_MAX_UNACKED_SENDS) {
      throw MessagingException.overloaded('The server is behind on storing messages');
    }
    if ((mine?.size ?? 0) >= this.limits.GATEWAY_MAX_UNACKED_PER_CONNECTION) {
      throw MessagingException.overloaded(
        'Too many messages of this connection are waiting to be stored',
      );
    }
    if (mine) mine.set(clientMsgId, now);
    else this.byConnection.set(connectionId, new Map([[clientMsgId, now]]));
    this.total++;
  }

  /** The send was acked, refused or failed: it no longer counts. */
  release(connectionId: string, clientMsgId: string): void {
    const mine = this.byConnection.get(connectionId);
    if (!mine?.delete(clientMsgId)) return;
    this.total--;
    if (mine.size === 0) this.byConnection.delete(connectionId);
  }

  /** The socket closed: its acks can no longer arrive here. */
  releaseConnection(connectionId: string): void {
    const mine = this.byConnection.get(connectionId);
    if (!mine) return;
    this.total -= mine.size;
    this.byConnection.delete(connectionId);
  }

  forgetOlderThan(cutoff: number): void {
    for (const [connectionId, mine] of this.byConnection) {
      for (const [clientMsgId, at] of mine) {
        if (at < cutoff) this.release(connectionId, clientMsgId);
      }
    }
  }
}
