import { MessageAcceptedV1, type PayloadOf } from '@parley/common/contracts';

/** What the benchmarks share: their command-line arguments and the message they push through. */

/** A positive integer from the command line, or the fallback when it was not given. */
export function positiveInt(arg: string | undefined, fallback: number): number {
  const n = Number(arg ?? fallback);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`not a positive integer: ${arg}`);
  return n;
}

export const CONVERSATION_ID = '1763706000000-3f2a0c9d8e7b6a5f4e3d2c1b0a998877';
const SENDER_ID = '0b6f3c52-8a41-4f0e-9b1c-6f1d2e3a4b5c';
const CONNECTION_ID = '6c1e2f3a-4b5c-4d7e-8f90-a1b2c3d4e5f6';

/** `count` distinct `message.accepted` payloads, as the gateway accepts an ordinary send. */
export function acceptedPayloads(count: number): PayloadOf<typeof MessageAcceptedV1>[] {
  return Array.from({ length: count }, (_, i) => ({
    conversationId: CONVERSATION_ID,
    senderId: SENDER_ID,
    senderUsername: 'alice',
    clientMsgId: `01J9Z8K4${String(i).padStart(6, '0')}`,
    text: `hello bob, this is message ${i} of the benchmark: an ordinary sentence or two.`,
    acceptedAt: new Date(1_763_706_000_000 + i).toISOString(),
    origin: { gatewayId: 'gateway-1', connectionId: CONNECTION_ID, deviceId: 'laptop-7f3a' },
  }));
}
