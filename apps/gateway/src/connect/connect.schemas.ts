import { deviceIdSchema } from '@parley/common';
import { z } from 'zod';

export const connectRequestSchema = z.object({ deviceId: deviceIdSchema.optional() }).strict();
export type ConnectRequest = z.output<typeof connectRequestSchema>;
