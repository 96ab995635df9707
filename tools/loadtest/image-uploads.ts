import { randomUUID } from 'node:crypto';
import { imageUploadAnswerSchema, type ServerFrame } from '@parley/protocol';
import sharp from 'sharp';
import type { CachedAccount } from './accounts';
import { Socket } from './bench-socket';
import { Histogram, type LatencySummary } from './histogram';

/** What the uploads beside one `images` step did. */
export interface ImageUploadReport {
  offeredPerS: number;
  photoBytes: number;
  /** Uploads started (one per 1/rate s, unless MAX_IN_FLIGHT were still running). */
  started: number;
  /** Skipped because MAX_IN_FLIGHT uploads were still running (the stack fell behind). */
  skipped: number;
  /** 201 answers. */
  uploaded: number;
  /** Image messages delivered to the recipient's device. */
  delivered: number;
  /** Refusals and failures by HTTP status / error (e.g. `http_503`, `send_rate_limited`). */
  errors: Record<string, number>;
  /** From the POST's start to its 201 answer (the image processed and stored). */
  uploadMs: LatencySummary;
  /** From the POST's start to the image message reaching the recipient's socket. */
  uploadToDeliveredMs: LatencySummary;
  /** CPU ms of storage's image worker over the step, per photo uploaded (null: none). */
  workerCpuMsPerImage?: number | null;
}

/** Uploads running at once, at most: beyond that a scheduled upload is skipped (and counted). */
const MAX_IN_FLIGHT = 8;
/** The gateway's default IMAGE_UPLOADS_PER_MINUTE is 30: each uploader stays well under it. */
const UPLOADS_PER_MINUTE_PER_USER = 20;

/** How many uploader accounts `perS` uploads per second need (round-robin, under the budget). */
export function uploadersFor(perS: number): number {
  return Math.max(1, Math.ceil((perS * 60) / UPLOADS_PER_MINUTE_PER_USER));
}

/**
 * A photo-like JPEG of about `targetBytes`: structure at a coarse scale (smoothly enlarged noise)
 * plus fine grain, at quality 88, which compresses like a phone photo (about 0.29 byte per pixel:
 * 3 MB is about 10.6 megapixels, 4:3). Pure noise would not: it is the worst case for every codec.
 */
export async function makePhoto(targetBytes: number): Promise<Buffer> {
  const pixels = targetBytes / 0.29;
  const width = Math.max(80, Math.round(Math.sqrt((pixels * 4) / 3) / 20) * 20);
  const height = Math.max(60, Math.round((width * 3) / 4 / 20) * 20);
  const noise = (w: number, h: number, mean: number, sigma: number) =>
    sharp({
      create: {
        width: w,
        height: h,
        channels: 3,
        background: '#6a8',
        noise: { type: 'gaussian', mean, sigma },
      },
    });
  const coarse = await noise(width / 20, height / 20, 128, 60)
    .resize(width, height, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  const grain = await noise(width, height, 10, 10).raw().toBuffer();
  for (let i = 0; i < coarse.length; i++) coarse[i] = Math.min(255, coarse[i] + grain[i]);
  return sharp(coarse, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 88 })
    .toBuffer();
}

/**
 * The `images` workload's side load, run beside a `pairs` step: open loop, `perS` photo uploads
 * per second (POST /v1/images, round-robin over the uploader accounts), each then sent as an image
 * message to one recipient whose socket times its arrival. Accounts of their own (not the pairs
 * users), so the pairs' send budgets and delivery checks are untouched.
 */
export class ImageUploadLoad {
  private constructor(
    private readonly gateways: string[],
    private readonly uploaders: { account: CachedAccount; socket: Socket }[],
    private readonly recipient: { account: CachedAccount; socket: Socket },
    private readonly photo: Buffer,
    private readonly perS: number,
  ) {}

  static async open(options: {
    gateways: string[];
    uploaders: CachedAccount[];
    recipient: CachedAccount;
    photo: Buffer;
    perS: number;
  }): Promise<ImageUploadLoad> {
    const { gateways } = options;
    const tag = Date.now().toString(36);
    const uploaders = await Promise.all(
      options.uploaders.map(async (account, i) => ({
        account,
        socket: await Socket.open(gateways[i % gateways.length], account, `lt-img-${tag}-${i}`),
      })),
    );
    // The recipient on the last gateway: its deliveries cross gateways like most pairs' do.
    const recipient = {
      account: options.recipient,
      socket: await Socket.open(
        gateways[gateways.length - 1],
        options.recipient,
        `lt-img-${tag}-recipient`,
      ),
    };
    return new ImageUploadLoad(gateways, uploaders, recipient, options.photo, options.perS);
  }

  /** Uploads for `durationS` from `startAt`, then waits up to `drainS` for the last ones. */
  async run(startAt: number, durationS: number, drainS: number): Promise<ImageUploadReport> {
    // Their counts are the uploads answered 201 and the image messages delivered.
    const upload = new Histogram();
    const toDelivered = new Histogram();
    const errors: Record<string, number> = {};
    const fail = (code: string) => (errors[code] = (errors[code] ?? 0) + 1);
    const running = new Set<Promise<void>>();
    const total = Math.round(durationS * this.perS);
    let skipped = 0;
    await sleepUntil(startAt);
    for (let n = 0; n < total; n++) {
      await sleepUntil(startAt + (n * 1000) / this.perS);
      if (running.size >= MAX_IN_FLIGHT) {
        skipped++;
        continue;
      }
      const one = this.uploadAndSend(this.uploaders[n % this.uploaders.length], {
        uploaded: (ms) => upload.record(ms),
        delivered: (ms) => toDelivered.record(ms),
        fail,
      }).finally(() => running.delete(one));
      running.add(one);
    }
    await Promise.race([
      Promise.all(running),
      new Promise((resolve) => setTimeout(resolve, drainS * 1000)),
    ]);
    return {
      offeredPerS: this.perS,
      photoBytes: this.photo.length,
      started: total - skipped,
      skipped,
      uploaded: upload.count,
      delivered: toDelivered.count,
      errors,
      uploadMs: upload.summary(),
      uploadToDeliveredMs: toDelivered.summary(),
    };
  }

  close(): void {
    for (const { socket } of this.uploaders) socket.close();
    this.recipient.socket.close();
  }

  private async uploadAndSend(
    uploader: { account: CachedAccount; socket: Socket },
    on: {
      uploaded: (ms: number) => void;
      delivered: (ms: number) => void;
      fail: (code: string) => void;
    },
  ): Promise<void> {
    const t0 = performance.now();
    const gateway = this.gateways[Math.floor(Math.random() * this.gateways.length)];
    let imageId: string;
    try {
      const res = await fetch(`${gateway}/v1/images`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${uploader.account.accessToken}`,
          'content-type': 'image/jpeg',
        },
        body: this.photo,
        signal: AbortSignal.timeout(60_000),
      });
      const body: unknown = await res.json().catch(() => undefined);
      if (res.status !== 201) return on.fail(`http_${res.status}`);
      imageId = imageUploadAnswerSchema.parse(body).image.id;
    } catch (error) {
      return on.fail(error instanceof Error ? error.name : 'upload_failed');
    }
    on.uploaded(performance.now() - t0);

    const clientMsgId = randomUUID();
    const arrived = this.recipient.socket.next(
      (f: ServerFrame) => f.type === 'message' && f.message.clientMsgId === clientMsgId,
    );
    const answered = uploader.socket.next(
      (f: ServerFrame) => (f.type === 'ack' || f.type === 'error') && f.clientMsgId === clientMsgId,
    );
    uploader.socket.send({
      type: 'send',
      clientMsgId,
      to: this.recipient.account.username,
      text: '',
      image: { id: imageId },
    });
    const answer = await answered.catch(() => undefined);
    if (answer?.type !== 'ack') {
      return on.fail(answer?.type === 'error' ? `send_${answer.code}` : 'send_timed_out');
    }
    if (await arrived.then(() => true).catch(() => false)) {
      on.delivered(performance.now() - t0);
    } else {
      on.fail('not_delivered');
    }
  }
}

function sleepUntil(at: number): Promise<void> {
  const ms = at - Date.now();
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
