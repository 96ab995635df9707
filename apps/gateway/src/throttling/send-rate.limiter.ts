import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, periodic, type StopPeriodic } from '@parley/common';
import type { GatewayConfig } from '../config/gateway.config';
import { ConnectionLifecycle } from '../connections/connection-lifecycle';
import { coolDownMs, TokenBucket } from './token-bucket';
import { UserSendQuotaRepository } from './user-send-quota.repository';

type Limits = Pick<
  GatewayConfig,
  'SEND_RATE_PER_SOCKET' | 'SEND_BURST_PER_SOCKET' | 'SEND_RATE_PER_USER' | 'SEND_BURST_PER_USER'
>;

export type SendDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/** Tokens a gateway takes from a user's shared budget at once, then spends locally. */
const LEASE_SIZE = 8;
/** Leases of users who stopped sending are dropped after this (their tokens were spent anyway). */
const LEASE_IDLE_MS = 60_000;
const SWEEP_EVERY_MS = 30_000;

interface SocketState {
  bucket: TokenBucket;
  coolUntil: number;
}

/**
 * The send budget: per socket (a token bucket here, in memory, since a socket lives in one
 * process) and per user over every socket and gateway (a token bucket in Redis, leased a few
 * tokens at a time: UserSendQuotaRepository). A refused send puts its socket in a cool-down
 * (coolDownMs) during which every further send is refused as well, so a client that resends the
 * refused sends in order after `retryAfterMs` never sees them overtaken.
 */
@Injectable()
export class SendRateLimiter implements OnModuleInit, OnModuleDestroy {
  private readonly sockets = new Map<string, SocketState>();
  private readonly leases = new Map<string, { tokens: number; usedAt: number }>();
  private stopSweeper?: StopPeriodic;

  constructor(
    private readonly quota: UserSendQuotaRepository,
    @Inject(APP_CONFIG) private readonly limits: Limits,
    lifecycle: ConnectionLifecycle,
  ) {
    lifecycle.onClosed((connectionId) => this.forgetConnection(connectionId));
  }

  onModuleInit(): void {
    this.stopSweeper = periodic(SWEEP_EVERY_MS, () => this.forgetIdleLeases(performance.now()));
  }

  onModuleDestroy(): void {
    this.stopSweeper?.();
  }

  async admit(connectionId: string, userId: string): Promise<SendDecision> {
    const now = performance.now();
    const socket = this.socketState(connectionId, now);
    if (now < socket.coolUntil)
      return { allowed: false, retryAfterMs: Math.ceil(socket.coolUntil - now) };
    if (!socket.bucket.take(now))
      return this.coolDown(socket, now, socket.bucket.msUntilToken(now));

    const lease = this.leases.get(userId);
    if (lease && lease.tokens > 0) {
      lease.tokens--;
      lease.usedAt = now;
      return { allowed: true };
    }
    const grant = await this.quota.take(
      userId,
      Math.min(LEASE_SIZE, this.limits.SEND_BURST_PER_USER),
      this.limits.SEND_RATE_PER_USER,
      this.limits.SEND_BURST_PER_USER,
    );
    if (grant.granted === 0) {
      socket.bucket.giveBack();
      return this.coolDown(socket, performance.now(), grant.msUntilNextToken);
    }
    // Another socket of the user may have leased meanwhile: keep both leases' tokens.
    const tokens = (this.leases.get(userId)?.tokens ?? 0) + grant.granted - 1;
    this.leases.set(userId, { tokens, usedAt: now });
    return { allowed: true };
  }

  /** The socket closed. */
  forgetConnection(connectionId: string): void {
    this.sockets.delete(connectionId);
  }

  private socketState(connectionId: string, now: number): SocketState {
    let state = this.sockets.get(connectionId);
    if (!state) {
      state = {
        bucket: new TokenBucket(
          this.limits.SEND_RATE_PER_SOCKET,
          this.limits.SEND_BURST_PER_SOCKET,
          now,
        ),
        coolUntil: 0,
      };
      this.sockets.set(connectionId, state);
    }
    return state;
  }

  private coolDown(socket: SocketState, now: number, msUntilToken: number): SendDecision {
    const retryAfterMs = coolDownMs(msUntilToken);
    socket.coolUntil = now + retryAfterMs;
    return { allowed: false, retryAfterMs };
  }

  private forgetIdleLeases(now: number): void {
    for (const [userId, lease] of this.leases) {
      if (now - lease.usedAt > LEASE_IDLE_MS) this.leases.delete(userId);
    }
  }
}
