import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '@parley/common';
import type { GatewayConfig } from '../config/gateway.config';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { ENDED_SESSION_SLACK_SECONDS, SessionsRepository } from './sessions.repository';

/**
 * Every gateway refuses an ended session's access tokens because Redis says it ended
 * (SessionsRepository), for as long as such a token could be unexpired. If Redis loses its data,
 * those marks go with it, and the tokens would pass again until they expire. PostgreSQL keeps the
 * record (an ended session's refresh tokens are all revoked): the sessions ended within a token's
 * lifetime are read from it and marked again, each for the time it has left.
 */
@Injectable()
export class EndedSessionsRestorer {
  constructor(
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly sessions: SessionsRepository,
    @Inject(APP_CONFIG) private readonly config: Pick<GatewayConfig, 'JWT_ACCESS_TTL_SECONDS'>,
  ) {}

  /** Marks them again; resolves to their session ids. */
  async restore(now = Date.now()): Promise<string[]> {
    const keptMs = (this.config.JWT_ACCESS_TTL_SECONDS + ENDED_SESSION_SLACK_SECONDS) * 1000;
    const ended = await this.refreshTokens.endedSince(new Date(now - keptMs));
    await this.sessions.markEndedMany(
      ended.map(({ sessionId, endedAt }) => ({
        sessionId,
        forSeconds: Math.max(1, Math.ceil((endedAt.getTime() + keptMs - now) / 1000)),
      })),
    );
    return ended.map((e) => e.sessionId);
  }
}
