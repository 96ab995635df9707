import type { Uploader } from '@parley/client';

/**
 * The page's Uploader (`ApiClient`'s `upload`): an XMLHttpRequest, whose `upload` object reports
 * the bytes sent as they go (fetch cannot). Like fetch it resolves a Response whatever the status
 * and rejects when no answer came: a TypeError on a network error, the signal's reason when the
 * ApiClient's signal (its timeout) aborted it.
 */
export const xhrUpload: Uploader = (url, { method, headers, body, signal, onProgress }) =>
  new Promise<Response>((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    const xhr = new XMLHttpRequest();
    const total = body.byteLength;
    const abort = () => xhr.abort();
    const settle = (outcome: () => void) => {
      signal.removeEventListener('abort', abort);
      outcome();
    };
    xhr.open(method, url);
    xhr.responseType = 'arraybuffer';
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    // Upload listeners must be in place before send(), or the browser reports nothing.
    xhr.upload.onprogress = (event) =>
      onProgress?.(event.loaded, event.lengthComputable ? event.total : total);
    // The last progress event may not say all of it: the body is sent.
    xhr.upload.onload = () => onProgress?.(total, total);
    xhr.onload = () =>
      settle(() => {
        try {
          resolve(responseOf(xhr));
        } catch (err) {
          reject(new TypeError('the upload got an answer that cannot be read', { cause: err }));
        }
      });
    xhr.onerror = () => settle(() => reject(new TypeError('Failed to fetch')));
    xhr.ontimeout = () => settle(() => reject(new TypeError('Failed to fetch: timed out')));
    xhr.onabort = () =>
      settle(() =>
        reject(signal.aborted ? abortReason(signal) : new TypeError('Failed to fetch: aborted')),
      );
    signal.addEventListener('abort', abort, { once: true });
    xhr.send(body as Uint8Array<ArrayBuffer>);
  });

/** What an XMLHttpRequest that completed answered, as fetch would give it. */
function responseOf(xhr: XMLHttpRequest): Response {
  const status = xhr.status;
  // A status that cannot carry a body (fetch gives none for these either).
  const bodyless = status === 204 || status === 205 || status === 304;
  return new Response(bodyless ? null : (xhr.response as ArrayBuffer | null), {
    status,
    statusText: xhr.statusText,
    headers: parseResponseHeaders(xhr.getAllResponseHeaders()),
  });
}

/** `getAllResponseHeaders()`'s text (`name: value` lines) as Headers; a malformed line is skipped. */
export function parseResponseHeaders(text: string): Headers {
  const headers = new Headers();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    try {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      // Not a header name or value fetch would accept.
    }
  }
  return headers;
}

/** Why the signal aborted (fetch rejects with that: a timeout's TimeoutError), else an AbortError. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error || reason instanceof DOMException
    ? reason
    : new DOMException('The upload was aborted', 'AbortError');
}
