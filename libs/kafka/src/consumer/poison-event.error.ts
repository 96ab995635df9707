import { RpcException } from '@nestjs/microservices';
import { z } from 'zod/v4';

const poisonShape = z.object({
  poison: z.object({ eventIds: z.array(z.string()), reason: z.string() }),
});

/**
 * Thrown by a handler for events that can never succeed (e.g. they break an invariant no retry
 * will fix). The transport dead-letters the named events with the reason and re-runs the handler
 * with the rest of the batch; an id list naming none of the batch's events dead-letters the whole
 * batch. Any other error is retriable: nothing is committed and the batch is retried with backoff.
 *
 * It is an RpcException so the reason survives Nest's RPC exception layer whichever filter runs.
 */
export class PoisonEventError extends RpcException {
  constructor(
    readonly eventIds: readonly string[],
    readonly reason: string,
  ) {
    super({
      status: 'error',
      message: 'poison events',
      poison: { eventIds: [...eventIds], reason },
    });
    this.name = 'PoisonEventError';
  }
}

/** Recognises a poison verdict, thrown directly or as the error object Nest's RPC layer emits. */
export function asPoison(err: unknown): { eventIds: readonly string[]; reason: string } | null {
  if (err instanceof PoisonEventError) return { eventIds: err.eventIds, reason: err.reason };
  const parsed = poisonShape.safeParse(err);
  return parsed.success ? parsed.data.poison : null;
}
