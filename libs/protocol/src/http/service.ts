import { z } from 'zod/v4';

/** `GET /health/live` on every service. */
export const liveAnswerSchema = z.object({ status: z.literal('ok'), service: z.string() });

/** `GET /health/ready` on every service: 200 when every check is up, 503 otherwise. */
export const readinessAnswerSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  service: z.string(),
  checks: z.record(
    z.string(),
    z.object({
      status: z.enum(['up', 'down']),
      /** Why a check failed: shown to internal callers only. */
      error: z.string().optional(),
    }),
  ),
});
export type ReadinessAnswer = z.output<typeof readinessAnswerSchema>;
