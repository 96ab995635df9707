import { randomInt, randomUUID } from 'node:crypto';
import {
  DOCUMENTED_CLOSE_CODES,
  EMPTY_STATE_DIGEST,
  type ErrorFrame,
  type ServerFrame,
} from '@parley/protocol';
import { createAccount, ParleyTestClient, TestAccount } from '@parley/testing';
import { FuzzPayload, Json, Mutator, seededRandom } from './support/fuzz-mutator';
import { testStack } from './support/test-stack';

/**
 * Protocol fuzzing against the real gateways: every client frame type and every HTTP body,
 * mutated by a seeded mutator (support/fuzz-mutator.ts). The gateway must never crash, never
 * answer `internal` (or HTTP 500), and close sockets only with documented codes.
 *
 * CI runs a bounded number of cases; `npm run fuzz` runs many more (FUZZ_CASES, FUZZ_SEED to
 * replay a run: the seed is printed).
 */
const stack = testStack();
const [gateway1, gateway2] = stack.gateways;
const FRAME_CASES = Number(process.env.FUZZ_CASES ?? 800);
const HTTP_CASES = Math.ceil(FRAME_CASES / 3);
const SEED = Number(process.env.FUZZ_SEED ?? randomInt(2 ** 31));
/** Generous: a long `npm run fuzz` must not time out (this is no speed test). */
const TIMEOUT_MS = 120_000 + FRAME_CASES * 50;
/** Frames sent between two liveness probes. */
const BATCH = 40;

const newAddress = () => `198.51.${randomInt(256)}.${randomInt(1, 255)}`;

async function startedAt(gateway: string): Promise<string> {
  const text = await (await fetch(`${gateway}/metrics`)).text();
  return /^process_start_time_seconds(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? 'unknown';
}

describe(`protocol fuzzing (seed ${SEED}; replay with FUZZ_SEED=${SEED})`, () => {
  let alice: TestAccount;
  let bob: TestAccount;
  let conversationId: string;
  const mutator = new Mutator(seededRandom(SEED));
  const started: Record<string, string> = {};

  beforeAll(async () => {
    process.stdout.write(`[fuzz] seed ${SEED}: ${FRAME_CASES} frames, ${HTTP_CASES} HTTP bodies\n`);
    for (const g of [gateway1, gateway2]) started[g] = await startedAt(g);
    alice = await createAccount(gateway1, 'fz_alice');
    bob = await createAccount(gateway1, 'fz_bob');
    const client = await ParleyTestClient.connect(gateway1, alice);
    const clientMsgId = randomUUID();
    client.send({ type: 'send', clientMsgId, to: bob.username, text: 'seed' });
    const ack = await client.next<ServerFrame & { conversationId: string }>(
      (f) => f.type === 'ack' && f.clientMsgId === clientMsgId,
    );
    conversationId = ack.conversationId;
    client.close();
  });

  afterAll(async () => {
    // No gateway restarted, and both still serve.
    for (const g of [gateway1, gateway2]) {
      expect(await startedAt(g)).toBe(started[g]);
      expect((await fetch(`${g}/health/live`)).status).toBe(200);
    }
  });

  function validFrames(): Record<string, Json>[] {
    return [
      { type: 'send', ref: 'r1', clientMsgId: randomUUID(), conversationId, text: 'hello' },
      { type: 'send', clientMsgId: randomUUID(), to: bob.username, text: 'hi bob' },
      { type: 'sync', ref: 's', limit: 10 },
      { type: 'sync', after: 'eyJjIjoiMTc2MzkwMDAwMDAwMC0wIiwicyI6MH0', limit: 500 },
      {
        type: 'sync.states',
        ref: 'st',
        states: [
          { conversationId, lastSeq: 1, digest: EMPTY_STATE_DIGEST },
          { conversationId: `${conversationId.slice(0, -1)}0`, tail: true },
        ],
        complete: true,
        last: true,
      },
      { type: 'delivered', conversationId, seq: 1 },
      { type: 'read', ref: 'rd', conversationId, seq: 1 },
      { type: 'history', conversationId, beforeSeq: 2, limit: 5 },
      { type: 'auth', ref: 'a', token: alice.accessToken },
    ];
  }

  it(
    'never crashes a gateway, never answers internal, closes only with documented codes',
    async () => {
      const closes: number[] = [];
      const received: ServerFrame[] = [];
      let client = await ParleyTestClient.connect(gateway2, alice);
      for (let sent = 0; sent < FRAME_CASES; sent += BATCH) {
        for (let i = 0; i < BATCH; i++)
          sendPayload(client, mutator.mutate(mutator.pick(validFrames())));
        // Frames are handled in order: the probe's answer means every frame before it was handled.
        const ref = `probe-${sent}`;
        client.send({ type: 'history', ref, conversationId, limit: 1 });
        const outcome = await Promise.race([
          client
            .next((f) => (f.type === 'history.page' || f.type === 'error') && f.ref === ref, 30_000)
            .then(
              () => 'answered' as const,
              (err: unknown) => {
                // A close fails the wait at once; only a timeout is this test's failure.
                if (client.closeCode !== undefined) return 'closed' as const;
                throw err;
              },
            ),
          client.closed.then(() => 'closed' as const),
        ]);
        received.push(...client.frames.splice(0));
        if (outcome === 'closed' || client.closeCode !== undefined) {
          closes.push(await client.closed);
          client = await ParleyTestClient.connect(gateway2, alice);
        }
      }
      received.push(...client.frames.splice(0));
      client.close();

      const tally: Record<string, number> = {};
      for (const f of received) {
        const key = f.type === 'error' ? `error:${f.code}` : f.type;
        tally[key] = (tally[key] ?? 0) + 1;
      }
      process.stdout.write(
        `[fuzz] answers ${JSON.stringify(tally)}; closes ${JSON.stringify(closes)}\n`,
      );
      const internal = received.filter(
        (f): f is ErrorFrame => f.type === 'error' && String(f.code) === 'internal',
      );
      expect(internal).toEqual([]);
      for (const code of closes) expect(DOCUMENTED_CLOSE_CODES).toContain(code);
      expect(received.length).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );

  it(
    'never answers an HTTP body with 500 or internal',
    async () => {
      const routes: {
        method: string;
        path: string;
        auth: boolean;
        body: () => Record<string, Json>;
      }[] = [
        {
          method: 'POST',
          path: '/v1/auth/register',
          auth: false,
          body: () => ({
            username: `fz_${randomUUID().slice(0, 8)}`,
            email: `fz_${randomUUID().slice(0, 8)}@example.org`,
            realName: 'Fuzz',
            password: 'correct horse battery',
          }),
        },
        {
          method: 'POST',
          path: '/v1/auth/login',
          auth: false,
          body: () => ({ username: alice.username, password: 'nope nope nope' }),
        },
        {
          method: 'POST',
          path: '/v1/auth/refresh',
          auth: false,
          body: () => ({ refreshToken: 'A'.repeat(43) }),
        },
        {
          method: 'POST',
          path: '/v1/auth/logout',
          auth: true,
          body: () => ({ refreshToken: 'B'.repeat(43) }),
        },
        {
          method: 'POST',
          path: '/v1/connect',
          auth: true,
          body: () => ({ deviceId: 'fuzz-device' }),
        },
        {
          method: 'POST',
          path: '/v1/conversations',
          auth: true,
          body: () => ({ with: bob.username }),
        },
        {
          method: 'POST',
          path: `/v1/conversations/${conversationId}/read`,
          auth: true,
          body: () => ({ seq: 1 }),
        },
      ];
      const failures: string[] = [];
      for (let i = 0; i < HTTP_CASES; i++) {
        const route = mutator.pick(routes);
        const payload: FuzzPayload = mutator.mutate(route.body());
        const res = await fetch(`${i % 2 ? gateway1 : gateway2}${route.path}`, {
          method: route.method,
          headers: {
            'content-type': mutator.pick([
              'application/json',
              'application/json; charset=utf-8',
              'text/plain',
              'application/json; charset=latin1',
            ]),
            // Every case from its own address, so the log-in throttle never turns on the run.
            'x-forwarded-for': newAddress(),
            ...(route.auth ? { authorization: `Bearer ${alice.accessToken}` } : {}),
          },
          body: payload.kind === 'text' ? payload.text : payload.bytes,
        });
        const text = await res.text();
        if (res.status >= 500 && res.status !== 503)
          failures.push(`${route.path} ${res.status} ${text.slice(0, 200)}`);
        if (text.includes('"internal"'))
          failures.push(`${route.path} internal: ${text.slice(0, 200)}`);
      }
      // Query strings too: the search prefix and the history paging.
      for (let i = 0; i < HTTP_CASES / 4; i++) {
        const value = encodeURIComponent(JSON.stringify(mutator.value()).slice(0, 300));
        for (const path of [
          `/v1/users?prefix=${value}`,
          `/v1/conversations/${conversationId}/messages?beforeSeq=${value}&limit=${value}`,
        ]) {
          const res = await fetch(`${gateway1}${path}`, {
            headers: { authorization: `Bearer ${alice.accessToken}` },
          });
          const text = await res.text();
          if (res.status >= 500) failures.push(`${path} ${res.status} ${text.slice(0, 200)}`);
        }
      }
      expect(failures).toEqual([]);
    },
    TIMEOUT_MS,
  );
});

function sendPayload(client: ParleyTestClient, payload: FuzzPayload): void {
  if (client.socket.readyState !== client.socket.OPEN) return;
  if (payload.kind === 'text') client.socket.send(payload.text);
  else client.socket.send(payload.bytes, { binary: payload.bytes[0] !== 0xc3 });
}
