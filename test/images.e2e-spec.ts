import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import sharp from 'sharp';
import { RedisChannels, Topic } from '@parley/common';
import {
  ErrorCode,
  errorBodySchema,
  historyPageSchema,
  type MessageFrame,
  imageUploadAnswerSchema,
  type MessageImage,
} from '@parley/protocol';
import { createAccount, ParleyTestClient, type TestAccount } from '@parley/testing';
import { pngClaiming } from '@parley/testing/image.fixture';
import { acked, answerTo } from './support/frames';
import { StackControl } from './support/stack-control';
import { eventually } from './support/sync-device';
import { blobFileOf, TEST_GATEWAY_ENV, testStack, wsUrlOf } from './support/test-stack';

const stack = testStack();
const MAX_BYTES = Number(TEST_GATEWAY_ENV.IMAGE_MAX_BYTES);

/** A noisy photo-like JPEG (so it does not compress to nothing), with camera and GPS EXIF. */
async function photoWithGps(width: number, height: number): Promise<Buffer> {
  return sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#4a7',
      noise: { type: 'gaussian', mean: 120, sigma: 12 },
    },
  })
    .jpeg({ quality: 80 })
    .withExif({
      IFD0: { Make: 'Parley Test Cam', Model: 'One' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2/1' },
    })
    .toBuffer();
}

async function upload(
  gateway: string,
  account: TestAccount,
  body: Buffer | ReadableStream<Uint8Array>,
  contentType = 'image/jpeg',
): Promise<Response> {
  return fetch(`${gateway}/v1/images`, {
    method: 'POST',
    headers: { authorization: `Bearer ${account.accessToken}`, 'content-type': contentType },
    body,
    // A stream body is sent chunked (no Content-Length).
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  });
}

async function uploaded(
  gateway: string,
  account: TestAccount,
  body: Buffer,
): Promise<MessageImage> {
  const res = await upload(gateway, account, body);
  const answer: unknown = await res.json();
  expect(res.status).toBe(201);
  return imageUploadAnswerSchema.parse(answer).image;
}

async function fetchImage(gateway: string, account: TestAccount, id: string, variant: string) {
  return fetch(`${gateway}/v1/images/${id}/${variant}`, {
    headers: { authorization: `Bearer ${account.accessToken}` },
  });
}

/** Sends `imageId` to `to` (`text` its caption) from `client`: the send's answer, ack or error. */
function sendImage(client: ParleyTestClient, to: string, imageId: string, text = '') {
  const clientMsgId = randomUUID();
  client.send({ type: 'send', clientMsgId, to, text, image: { id: imageId } });
  return answerTo(client, clientMsgId);
}

async function refusal(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = errorBodySchema.parse(await res.json());
  return { status: res.status, code: body.error.code, message: body.error.message };
}

/** Files in the blob store's staging directory (uploads not yet processed or deleted). */
function staged(): string[] {
  try {
    return readdirSync(join(stack.blobDir, 'staging'));
  } catch {
    return [];
  }
}

describe('images (two gateways)', () => {
  let db: Client;
  beforeAll(async () => {
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
  });

  const imagesOf = async (account: TestAccount) =>
    Number(
      (
        await db.query<{ n: string }>('SELECT count(*) AS n FROM images WHERE uploader_id = $1', [
          account.id,
        ])
      ).rows[0].n,
    );

  it('serves an uploaded photo oriented, resized and without its EXIF or GPS, to its uploader', async () => {
    const [gateway] = stack.gateways;
    const alice = await createAccount(gateway, 'alice');
    const photo = await photoWithGps(2400, 1800);
    expect((await sharp(photo).metadata()).exif).toBeDefined();

    const image = await uploaded(gateway, alice, photo);
    expect(image).toMatchObject({ width: 1600, height: 1200, type: 'image/webp' });
    expect(image.placeholder).toMatch(/^data:image\/webp;base64,/);
    expect(
      (await sharp(Buffer.from(image.placeholder.split(',')[1], 'base64')).metadata()).width,
    ).toBeLessThanOrEqual(16);

    for (const [variant, side] of [
      ['display', 1600],
      ['thumb', 320],
    ] as const) {
      const res = await fetchImage(gateway, alice, image.id, variant);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/webp');
      const bytes = Buffer.from(await res.arrayBuffer());
      const served = await sharp(bytes).metadata();
      expect(served.format).toBe('webp');
      expect(Math.max(served.width ?? 0, served.height ?? 0)).toBe(side);
      expect(served.exif).toBeUndefined();
      expect(bytes.includes(Buffer.from('Parley Test Cam'))).toBe(false);
      if (variant === 'display') expect(bytes.length).toBe(image.bytes);
    }
    // Processed: nothing left in staging.
    await eventually(() => Promise.resolve(staged().length === 0), 'staging emptied');

    // It was decoded by storage's image worker, a child process whose every thread (libvips'
    // too) runs in the SCHED_IDLE class (policy 5); its main thread at nice 19 besides.
    const storagePid = StackControl.pid('storage');
    const children = readFileSync(`/proc/${storagePid}/task/${storagePid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    expect(children).toHaveLength(1);
    const worker = children[0];
    const schedulingOf = (tid: string) => {
      const fields = readFileSync(`/proc/${worker}/task/${tid}/stat`, 'utf8')
        .split(') ')[1]
        .split(' ');
      return { nice: Number(fields[16]), policy: Number(fields[38]) };
    };
    const threads = readdirSync(`/proc/${worker}/task`);
    expect(threads.length).toBeGreaterThan(1);
    expect(new Set(threads.map((tid) => schedulingOf(tid).policy))).toEqual(new Set([5]));
    expect(schedulingOf(worker).nice).toBe(19);
  });

  it('refuses a bomb, an SVG, a renamed text file and an oversized body, each with its error, keeping nothing', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const mallory = await createAccount(gateway1, 'mallory');
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
    );
    const cases: [string, Promise<Response>, number, string][] = [
      [
        'bomb',
        upload(gateway1, mallory, pngClaiming(15_000, 15_000), 'image/png'),
        422,
        ErrorCode.ImageTooManyPixels,
      ],
      ['svg', upload(gateway2, mallory, svg, 'image/png'), 415, ErrorCode.ImageTypeUnsupported],
      [
        'svg type',
        upload(gateway2, mallory, svg, 'image/svg+xml'),
        415,
        ErrorCode.ImageTypeUnsupported,
      ],
      [
        'text',
        upload(gateway1, mallory, Buffer.from('not a photo at all\n'.repeat(50))),
        415,
        ErrorCode.ImageTypeUnsupported,
      ],
      [
        'declared too large',
        upload(gateway1, mallory, Buffer.alloc(MAX_BYTES + 1, 0xff)),
        413,
        ErrorCode.ImageTooLarge,
      ],
    ];
    for (const [name, response, status, code] of cases) {
      const got = await refusal(await response);
      expect({ name, status: got.status, code: got.code }).toEqual({ name, status, code });
      expect(got.message.length).toBeGreaterThan(0);
    }

    // A chunked body (no Content-Length) is cut off at the cap while it streams.
    let sent = 0;
    const chunk = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(64 * 1024 - 3, 7)]);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BYTES * 3) controller.close();
        else {
          controller.enqueue(sent === 0 ? chunk : Buffer.alloc(64 * 1024, 7));
          sent += 64 * 1024;
        }
      },
    });
    const streamed = await refusal(await upload(gateway2, mallory, endless));
    expect(streamed).toMatchObject({ status: 413, code: ErrorCode.ImageTooLarge });

    expect(await imagesOf(mallory)).toBe(0);
    await eventually(() => Promise.resolve(staged().length === 0), 'staging emptied');
  });

  it('sends an image message to a member on the other gateway; a non-member gets 404 for the image', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const [alice, bob, eve] = await Promise.all(
      ['alice', 'bob', 'eve'].map((n) => createAccount(gateway1, n)),
    );
    const a = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice);
    const b = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway2), bob);
    try {
      const image = await uploaded(gateway1, alice, await photoWithGps(800, 600));
      expect(image).toMatchObject({ width: 800, height: 600 });

      // Before it is sent, only its uploader may fetch it.
      expect((await fetchImage(gateway2, bob, image.id, 'thumb')).status).toBe(404);

      const clientMsgId = randomUUID();
      a.send({ type: 'send', clientMsgId, to: bob.username, text: '', image: { id: image.id } });
      const ack = await acked(answerTo(a, clientMsgId));
      const got = await b.next<MessageFrame>(
        (f) => f.type === 'message' && f.message.clientMsgId === clientMsgId,
      );
      expect(got.message).toMatchObject({ text: '', image, conversationId: ack.conversationId });

      // A caption rides along; history carries the image too.
      const captioned = randomUUID();
      a.send({
        type: 'send',
        clientMsgId: captioned,
        conversationId: ack.conversationId,
        text: 'the view from here',
        image: { id: image.id },
      });
      await acked(answerTo(a, captioned));
      const res = await fetch(
        `${gateway2}/v1/conversations/${ack.conversationId}/messages?limit=10`,
        { headers: { authorization: `Bearer ${bob.accessToken}` } },
      );
      const page = historyPageSchema.parse(await res.json());
      expect(page.messages.map((m) => [m.text, m.image?.id])).toEqual([
        ['', image.id],
        ['the view from here', image.id],
      ]);

      // The member fetches it on either gateway; the non-member and an unknown id get 404.
      for (const gateway of [gateway1, gateway2]) {
        expect((await fetchImage(gateway, bob, image.id, 'display')).status).toBe(200);
      }
      for (const [who, id] of [
        [eve, image.id],
        [bob, randomUUID()],
      ] as const) {
        const denied = await fetchImage(gateway2, who, id, 'display');
        expect(await refusal(denied)).toMatchObject({ status: 404, code: ErrorCode.NotFound });
      }
      expect((await fetch(`${gateway1}/v1/images/${image.id}/display`)).status).toBe(401);

      // Eve cannot send Alice's image as hers.
      const e = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), eve);
      try {
        const answer = await sendImage(e, bob.username, image.id, 'mine');
        expect('error' in answer && answer.error.code).toBe(ErrorCode.ValidationFailed);
      } finally {
        e.close();
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it('deletes an upload nobody sent within a day (row and blobs), keeps a sent one, refuses sending a stale one', async () => {
    const [gateway1, gateway2] = stack.gateways;
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => createAccount(gateway1, n)));
    const a = await ParleyTestClient.connectTo(gateway1, wsUrlOf(gateway1), alice);
    try {
      const unsent = await uploaded(gateway1, alice, await photoWithGps(640, 480));
      const sent = await uploaded(gateway1, alice, await photoWithGps(480, 640));
      const stale = await uploaded(gateway2, alice, await photoWithGps(500, 500));
      await acked(sendImage(a, bob.username, sent.id));

      const blobsOf = async (id: string) => {
        const { rows } = await db.query<{ display_key: string; thumb_key: string }>(
          'SELECT display_key, thumb_key FROM images WHERE id = $1',
          [id],
        );
        return [rows[0].display_key, rows[0].thumb_key].map((key) => blobFileOf(stack, key));
      };
      const unsentBlobs = await blobsOf(unsent.id);
      expect(unsentBlobs.every((path) => existsSync(path))).toBe(true);

      // A day and an hour on for two of them (the sweep runs every EXPIRY_SWEEP_MS)...
      await db.query(
        `UPDATE images SET created_at = now() - interval '25 hours' WHERE id = ANY($1::uuid[])`,
        [[unsent.id, sent.id]],
      );
      // ...and past the send window, not yet the sweep's age, for the third.
      await db.query(
        `UPDATE images SET created_at = now() - interval '23 hours 30 minutes' WHERE id = $1`,
        [stale.id],
      );

      await eventually(async () => (await imageRow(unsent.id)) === undefined, 'unsent image swept');
      expect(unsentBlobs.some((path) => existsSync(path))).toBe(false);
      expect((await fetchImage(gateway1, alice, unsent.id, 'thumb')).status).toBe(404);
      // The sent one stays, marked so the sweep never looks at it again; its member still gets it.
      await eventually(async () => (await imageRow(sent.id))?.sent === true, 'sent image marked');
      expect((await fetchImage(gateway2, bob, sent.id, 'display')).status).toBe(200);

      // Too old to attach (it is about to be swept): refused, as if it did not exist.
      const answer = await sendImage(a, bob.username, stale.id);
      expect('error' in answer && answer.error.code).toBe(ErrorCode.ValidationFailed);
      expect(await imageRow(stale.id)).toMatchObject({ sent: false });
    } finally {
      a.close();
    }
  });

  const imageRow = async (id: string) =>
    (await db.query<{ sent: boolean }>('SELECT sent FROM images WHERE id = $1', [id])).rows[0];
  it("answers an upload whose answer storage published while the gateway's subscription was down", async () => {
    const [gateway1] = stack.gateways;
    const alice = await createAccount(gateway1, 'gapimg');
    const photo = await photoWithGps(320, 240);
    const redis = new Redis(stack.redisUrl);
    const admin = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const uploadsInKafka = async () =>
      (await admin.fetchTopicOffsets(Topic.Images)).reduce((n, p) => n + Number(p.high), 0);
    const answersTo = RedisChannels.imageResults(stack.clusterId, 'gateway-1');
    const listening = async () =>
      Number(((await redis.call('PUBSUB', 'NUMSUB', answersTo)) as (string | number)[])[1]);
    const rowOf = async () =>
      (await db.query('SELECT 1 FROM images WHERE uploader_id = $1', [alice.id])).rowCount;
    const stopped: string[] = [];
    let gatewayStopped = false;
    try {
      // Storage held, so the answer can only come once gateway 1 has lost its subscription.
      for (const name of stack.storageReplicas) {
        StackControl.signal(name, 'SIGSTOP');
        stopped.push(name);
      }
      const before = await uploadsInKafka();
      const answer = upload(gateway1, alice, photo);
      await eventually(async () => (await uploadsInKafka()) > before, 'the upload handed over');
      StackControl.signal('gateway-1', 'SIGSTOP');
      gatewayStopped = true;
      await redis.client('KILL', 'TYPE', 'pubsub');
      expect(await listening()).toBe(0);
      for (const name of stopped.splice(0)) StackControl.signal(name, 'SIGCONT');
      // Storage answers into the void: nobody listens on gateway 1's channel.
      await eventually(async () => (await rowOf()) === 1, 'the image processed');
      await delay(200);
      expect(await listening()).toBe(0);
      StackControl.signal('gateway-1', 'SIGCONT');
      gatewayStopped = false;

      // Subscribed again, gateway 1 reads the answer storage kept: well within the upload's 30 s.
      const res = await answer;
      expect(res.status).toBe(201);
      const image = imageUploadAnswerSchema.parse(await res.json()).image;
      expect(image.width).toBe(320);
      expect(await listening()).toBe(1);
    } finally {
      for (const name of stopped) StackControl.signal(name, 'SIGCONT');
      if (gatewayStopped) StackControl.signal('gateway-1', 'SIGCONT');
      await admin.disconnect();
      await redis.quit();
    }
  }, 60_000);
});
