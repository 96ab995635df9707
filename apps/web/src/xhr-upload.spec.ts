import type { UploadInit } from '@parley/client';
import { parseResponseHeaders, xhrUpload } from './xhr-upload';

/** What the uploader uses of an XMLHttpRequest, played by the test. */
class FakeXhr {
  static made: FakeXhr[] = [];
  readonly upload: {
    onprogress:
      ((event: { loaded: number; total: number; lengthComputable: boolean }) => void) | null;
    onload: (() => void) | null;
  } = { onprogress: null, onload: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  ontimeout: (() => void) | null = null;
  onabort: (() => void) | null = null;
  responseType = '';
  status = 0;
  statusText = '';
  response: ArrayBuffer | null = null;
  opened?: [string, string];
  readonly requestHeaders: Record<string, string> = {};
  sent?: Uint8Array;
  responseHeaders = '';
  aborted = false;

  constructor() {
    FakeXhr.made.push(this);
  }
  open(method: string, url: string): void {
    this.opened = [method, url];
  }
  setRequestHeader(name: string, value: string): void {
    this.requestHeaders[name] = value;
  }
  send(body: Uint8Array): void {
    this.sent = body;
  }
  abort(): void {
    this.aborted = true;
    this.onabort?.();
  }
  getAllResponseHeaders(): string {
    return this.responseHeaders;
  }
  /** The server's answer arrives. */
  answer(status: number, body: string, headers: string): void {
    this.status = status;
    this.statusText = status === 201 ? 'Created' : '';
    this.response = new TextEncoder().encode(body).buffer;
    this.responseHeaders = headers;
    this.onload?.();
  }
}

const BODY = new Uint8Array(300).fill(1);

function start(init: Partial<UploadInit> = {}) {
  const progress: [number, number][] = [];
  const controller = new AbortController();
  const answer = xhrUpload('http://localhost/v1/images', {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg', authorization: 'Bearer a' },
    body: BODY,
    signal: controller.signal,
    onProgress: (sent, total) => progress.push([sent, total]),
    ...init,
  });
  const xhr = FakeXhr.made[FakeXhr.made.length - 1];
  return { answer, xhr, progress, controller };
}

describe('xhrUpload', () => {
  const real = (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest;
  beforeEach(() => {
    FakeXhr.made = [];
    (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = FakeXhr;
  });
  afterEach(() => {
    (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = real;
  });

  it('sends the body with the headers, reports the upload progress, and resolves the answer as a Response', async () => {
    const t = start();
    expect(t.xhr.opened).toEqual(['POST', 'http://localhost/v1/images']);
    expect(t.xhr.requestHeaders).toEqual({
      'content-type': 'image/jpeg',
      authorization: 'Bearer a',
    });
    expect(t.xhr.responseType).toBe('arraybuffer');
    expect(t.xhr.sent).toBe(BODY);
    t.xhr.upload.onprogress?.({ loaded: 100, total: 300, lengthComputable: true });
    t.xhr.upload.onprogress?.({ loaded: 200, total: 0, lengthComputable: false });
    t.xhr.upload.onload?.();
    t.xhr.answer(
      201,
      '{"image":{"id":"x"}}',
      'content-type: application/json\r\nretry-after: 3\r\n',
    );
    const res = await t.answer;
    expect(t.progress).toEqual([
      [100, 300],
      [200, 300],
      [300, 300],
    ]);
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('retry-after')).toBe('3');
    await expect(res.text()).resolves.toBe('{"image":{"id":"x"}}');
  });

  it('resolves a refusal as fetch does (not ok, its body readable)', async () => {
    const t = start();
    t.xhr.answer(413, '{"error":{"code":"image_too_large","message":"too large"}}', '');
    const res = await t.answer;
    expect(res.status).toBe(413);
    expect(res.ok).toBe(false);
    await expect(res.json()).resolves.toEqual({
      error: { code: 'image_too_large', message: 'too large' },
    });
  });

  it('rejects with a TypeError when no answer came (network error, timeout, abort)', async () => {
    const failed = start();
    failed.xhr.onerror?.();
    await expect(failed.answer).rejects.toBeInstanceOf(TypeError);

    const timedOut = start();
    timedOut.xhr.ontimeout?.();
    await expect(timedOut.answer).rejects.toBeInstanceOf(TypeError);

    const aborted = start();
    aborted.xhr.abort();
    await expect(aborted.answer).rejects.toBeInstanceOf(TypeError);
  });

  it("aborts the request when the signal does, rejecting with the signal's reason", async () => {
    const t = start();
    const reason = new DOMException('timed out', 'TimeoutError');
    t.controller.abort(reason);
    expect(t.xhr.aborted).toBe(true);
    await expect(t.answer).rejects.toBe(reason);

    const gone = new AbortController();
    gone.abort(reason);
    await expect(start({ signal: gone.signal }).answer).rejects.toBe(reason);
  });
});

describe('parseResponseHeaders', () => {
  it('reads name: value lines, skipping what is not a header', () => {
    const headers = parseResponseHeaders(
      'Content-Type: application/json; charset=utf-8\r\nX-Note: a: b\r\nnot a header\r\n\r\n',
    );
    expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(headers.get('x-note')).toBe('a: b');
    expect([...headers.keys()]).toEqual(['content-type', 'x-note']);
  });
});
