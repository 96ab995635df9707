/**
 * The pipeline floor's gateway: a WebSocket server that publishes every send to Kafka (the
 * services' idempotent producer, acks=all, keyed by conversation, through the gateways' batcher)
 * and writes what storage publishes for it on Redis
 * to its sockets. Nothing else: no auth, no validation but the send's shape, no `accepted` frame,
 * no receipts, no presence. Started by pipeline-floor.bench.ts with its settings in the environment.
 */
import { createServer } from 'node:http';
import Redis from 'ioredis';
import { WebSocket, WebSocketServer } from 'ws';
import { createKafkaClient, createProducer } from '@parley/kafka/kafka-client.factory';
import { DEFAULT_BATCHER_OPTIONS, RecordBatcher } from '@parley/kafka/producer/record-batcher';
import {
  FLOOR_TOPIC,
  floorChannel,
  type FloorSend,
  type FloorStored,
  framesFor,
  readSend,
  requiredEnv as env,
} from './floor-wire';

async function main(): Promise<void> {
  const gateway = Number(env('FLOOR_GATEWAY'));
  const gateways = Number(env('FLOOR_GATEWAYS'));
  const port = Number(env('FLOOR_PORT'));
  const kafka = createKafkaClient({
    clientId: `floor-gateway-${gateway}`,
    brokers: [env('FLOOR_KAFKA')],
  });
  const producer = createProducer(kafka);
  await producer.connect();

  // The gateways' batching (EventPublisher): one request in flight, a 2 ms linger from 200
  // records a second (KAFKA_LINGER_MS, KAFKA_LINGER_MIN_RATE).
  const batcher = new RecordBatcher(
    (batches) => producer.sendBatch({ acks: -1, topicMessages: batches }).then(() => undefined),
    { ...DEFAULT_BATCHER_OPTIONS, lingerMs: 2, lingerMinRate: 200 },
  );
  const publish = (send: FloorSend): void => {
    batcher
      .enqueue(FLOOR_TOPIC, [{ key: send.k, value: JSON.stringify(send), headers: {} }])
      .catch((err: unknown) =>
        process.stderr.write(`[floor-gateway] publish failed: ${String(err)}\n`),
      );
  };

  const sockets = new Map<number, WebSocket>();
  const subscriber = new Redis(env('FLOOR_REDIS'));
  subscriber.on('message', (_channel: string, payload: string) => {
    const stored = JSON.parse(payload) as FloorStored[];
    for (const { user, frame } of framesFor(stored, gateway, gateways)) {
      const socket = sockets.get(user);
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
    }
  });
  await subscriber.subscribe(floorChannel(gateway));

  const server = createServer();
  const wss = new WebSocketServer({ server, maxPayload: 16 * 1024 });
  wss.on('connection', (socket, request) => {
    const named = new URL(request.url ?? '/', 'http://floor').searchParams.get('user');
    const user = named === null || named === '' ? Number.NaN : Number(named);
    if (!Number.isInteger(user)) return socket.close(1008, 'user');
    sockets.set(user, socket);
    socket.on('message', (data: Buffer) => {
      let send: FloorSend | undefined;
      try {
        send = readSend(JSON.parse(data.toString('utf8')));
      } catch {
        send = undefined;
      }
      if (!send || send.from !== user) return;
      publish(send);
    });
    socket.on('close', () => {
      if (sockets.get(user) === socket) sockets.delete(user);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  process.stdout.write('ready\n');

  const stop = (): void => {
    wss.close();
    server.close();
    subscriber.disconnect();
    void batcher
      .close()
      .then(() => producer.disconnect())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`[floor-gateway] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
