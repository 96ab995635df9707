import type { MessageImage } from '@parley/protocol';
import { FIXTURE_IMAGE } from '@parley/testing/delivered-message.fixture';
import { ApiClient, type FetchLike, type UploadInit, type Uploader } from './api-client';
import { ApiError, NotLoggedInError, OfflineError } from './errors';
import { signedInCredentials } from '@parley/testing/signed-in.fixture';

const HTTP = 'http://127.0.0.1:3000';
const OTHER = 'http://127.0.0.1:3001';

const IMAGE: MessageImage = FIXTURE_IMAGE;

const BYTES = new Uint8Array(1000).fill(7);

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers });

const problem = (status: number, code: string, message: string, headers = {}) =>
  json(status, { error: { code, message } }, headers);

/** One call the fake uploader got. */
interface Upload {
  url: string;
  init: UploadInit;
}

/**
 * An ApiClient whose uploads go to `answer` (one call after the other: it reports the bytes in
 * quarters, then answers) and whose fetch answers `/v1/auth/refresh` with a new pair.
 */
function setup(answer: (n: number, upload: Upload) => Promise<Response>) {
  const uploads: Upload[] = [];
  const fetched: string[] = [];
  const progress: [number, number][] = [];
  const upload: Uploader = (url, init) => {
    const call = { url, init };
    uploads.push(call);
    const total = init.body.byteLength;
    for (const sent of [0, total / 4, total / 2, total]) init.onProgress?.(sent, total);
    return answer(uploads.length, call);
  };
  const fetch: FetchLike = (url) => {
    fetched.push(url);
    if (new URL(url).pathname === '/v1/auth/refresh') {
      return Promise.resolve(
        json(200, {
          accessToken: 'fresh',
          refreshToken: 'S'.repeat(43),
          tokenType: 'Bearer',
          expiresIn: 900,
        }),
      );
    }
    return Promise.resolve(problem(404, 'not_found', 'no'));
  };
  const credentials = signedInCredentials(HTTP, 'old');
  const api = new ApiClient({ server: HTTP, credentials, fetch, upload });
  const onProgress = (sent: number, total: number) => progress.push([sent, total]);
  return { api, uploads, fetched, progress, credentials, onProgress };
}

describe('ApiClient.uploadImage', () => {
  it('sends the bytes through the uploader with the token and type, and passes its progress on', async () => {
    const t = setup(() => Promise.resolve(json(201, { image: IMAGE })));
    await expect(
      t.api.uploadImage(BYTES, 'image/jpeg', { onProgress: t.onProgress }),
    ).resolves.toEqual(IMAGE);
    expect(t.uploads).toHaveLength(1);
    const [{ url, init }] = t.uploads;
    expect(url).toBe(`${HTTP}/v1/images`);
    expect(init).toMatchObject({
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': 'image/jpeg',
        authorization: 'Bearer old',
      },
      body: BYTES,
    });
    expect(init.signal).toBeInstanceOf(AbortSignal);
    expect(t.progress).toEqual([
      [0, 1000],
      [250, 1000],
      [500, 1000],
      [1000, 1000],
    ]);
    expect(t.fetched).toEqual([]);
  });

  it('works without onProgress', async () => {
    const t = setup(() => Promise.resolve(json(201, { image: IMAGE })));
    await expect(t.api.uploadImage(BYTES, 'image/png')).resolves.toEqual(IMAGE);
    expect(t.uploads[0].init.headers['content-type']).toBe('image/png');
  });

  it('on 401 refreshes the token once and uploads again from 0, with the new token', async () => {
    const t = setup((n) =>
      Promise.resolve(
        n === 1 ? problem(401, 'unauthorized', 'expired') : json(201, { image: IMAGE }),
      ),
    );
    await expect(
      t.api.uploadImage(BYTES, 'image/jpeg', { onProgress: t.onProgress }),
    ).resolves.toEqual(IMAGE);
    expect(t.uploads.map((u) => u.init.headers.authorization)).toEqual([
      'Bearer old',
      'Bearer fresh',
    ]);
    expect(t.fetched).toEqual([`${HTTP}/v1/auth/refresh`]);
    expect((await t.credentials.read())?.accessToken).toBe('fresh');
    expect(t.progress.map(([sent]) => sent)).toEqual([0, 250, 500, 1000, 0, 250, 500, 1000]);
  });

  it('refreshes only once: a second 401 is the ApiError', async () => {
    const t = setup(() => Promise.resolve(problem(401, 'unauthorized', 'expired')));
    await expect(t.api.uploadImage(BYTES, 'image/jpeg')).rejects.toMatchObject({
      name: 'ApiError',
      status: 401,
    });
    expect(t.uploads).toHaveLength(2);
    expect(t.fetched).toEqual([`${HTTP}/v1/auth/refresh`]);
  });

  it('maps refusals to ApiError as before (code, message, Retry-After)', async () => {
    const tooLarge = setup(() =>
      Promise.resolve(problem(413, 'image_too_large', 'The image is larger than 2 MB')),
    );
    const refused = tooLarge.api.uploadImage(BYTES, 'image/jpeg');
    await expect(refused).rejects.toBeInstanceOf(ApiError);
    await expect(refused).rejects.toMatchObject({
      status: 413,
      code: 'image_too_large',
      message: 'The image is larger than 2 MB',
    });

    const throttled = setup(() =>
      Promise.resolve(
        problem(429, 'rate_limited', 'Too many uploads', {
          'retry-after': '7',
        }),
      ),
    );
    await expect(throttled.api.uploadImage(BYTES, 'image/jpeg')).rejects.toMatchObject({
      status: 429,
      code: 'rate_limited',
      retryAfterSeconds: 7,
    });

    const proxy = setup(() =>
      Promise.resolve(new Response('<html>bad gateway</html>', { status: 502 })),
    );
    await expect(proxy.api.uploadImage(BYTES, 'image/jpeg')).rejects.toMatchObject({
      status: 502,
      code: 'http_502',
    });
  });

  it('rejects an answer that is not an image with a ProtocolError', async () => {
    const t = setup(() => Promise.resolve(json(201, { image: { id: 'nope' } })));
    await expect(t.api.uploadImage(BYTES, 'image/jpeg')).rejects.toMatchObject({
      name: 'ProtocolError',
    });
  });

  it('tries the fallback gateways when the uploader gets no answer, then is offline', async () => {
    const t = setup((n) =>
      n === 1
        ? Promise.reject(new TypeError('Failed to fetch'))
        : Promise.resolve(json(201, { image: IMAGE })),
    );
    t.api.setFallbacks([OTHER]);
    await expect(t.api.uploadImage(BYTES, 'image/jpeg')).resolves.toEqual(IMAGE);
    expect(t.uploads.map((u) => u.url)).toEqual([`${HTTP}/v1/images`, `${OTHER}/v1/images`]);

    const down = setup(() => Promise.reject(new TypeError('Failed to fetch')));
    const offline = down.api.uploadImage(BYTES, 'image/jpeg');
    await expect(offline).rejects.toBeInstanceOf(OfflineError);
    await expect(offline).rejects.toMatchObject({ cause: new TypeError('Failed to fetch') });
  });

  it('is refused without credentials, before anything is sent', async () => {
    const t = setup(() => Promise.resolve(json(201, { image: IMAGE })));
    await t.credentials.clear();
    await expect(t.api.uploadImage(BYTES, 'image/jpeg')).rejects.toBeInstanceOf(NotLoggedInError);
    expect(t.uploads).toEqual([]);
  });

  it('by default sends through fetch (the bytes as the body) and reports (total, total) once answered', async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    const fetch: FetchLike = (url, init) => {
      sent.push({ url, init });
      return Promise.resolve(json(201, { image: IMAGE }));
    };
    const api = new ApiClient({
      server: HTTP,
      fetch,
      credentials: signedInCredentials(HTTP),
    });
    const progress: [number, number][] = [];
    await expect(
      api.uploadImage(BYTES, 'image/webp', {
        onProgress: (s, total) => progress.push([s, total]),
      }),
    ).resolves.toEqual(IMAGE);
    expect(sent).toHaveLength(1);
    expect(sent[0].url).toBe(`${HTTP}/v1/images`);
    expect(sent[0].init).toMatchObject({
      method: 'POST',
      headers: { 'content-type': 'image/webp', authorization: 'Bearer a' },
      body: BYTES,
    });
    expect(sent[0].init.signal).toBeInstanceOf(AbortSignal);
    expect(sent[0].init).not.toHaveProperty('onProgress');
    expect(progress).toEqual([[1000, 1000]]);
  });

  it('leaves other calls on fetch', async () => {
    const t = setup(() => Promise.reject(new Error('not an upload')));
    await expect(t.api.contacts()).rejects.toMatchObject({ status: 404 });
    expect(t.fetched).toEqual([`${HTTP}/v1/contacts`]);
    expect(t.uploads).toEqual([]);
  });
});
