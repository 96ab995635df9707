import {
  type ConnectAnswer,
  decodeServerFrame,
  ErrorCode,
  type ServerFrame,
} from '@parley/protocol';
import WebSocket from 'ws';
import { type CachedAccount, postJson } from './accounts';
import { isLoopbackUrl } from './loopback';

const TIMEOUT_MS = 120_000;

/**
 * One benchmark device's socket, opened as a client does (POST /v1/connect, then the WebSocket
 * with the ticket, then `hello`), with waiters for the frames the benchmark expects.
 */
export class Socket {
  bytesSent = 0;
  bytesReceived = 0;
  private readonly waiters: ((frame: ServerFrame) => boolean)[] = [];

  private constructor(
    readonly ws: WebSocket,
    readonly answer: ConnectAnswer,
  ) {
    ws.on('message', (data: Buffer) => {
      this.bytesReceived += data.length;
      const decoded = decodeServerFrame(data.toString('utf8'));
      if (!decoded.ok) return;
      for (let i = 0; i < this.waiters.length; i++) {
        if (this.waiters[i](decoded.frame)) this.waiters.splice(i--, 1);
      }
    });
  }

  static async open(gateway: string, account: CachedAccount, deviceId: string, sync?: 'v2') {
    const connect = await postJson<ConnectAnswer>(
      `${gateway}/v1/connect`,
      { deviceId, ...(sync ? { sync } : {}) },
      account.accessToken,
    );
    if (!isLoopbackUrl(connect.url)) throw new Error('refusing a non-loopback socket URL');
    const ws = new WebSocket(`${connect.url}?ticket=${encodeURIComponent(connect.ticket)}`, {
      perMessageDeflate: false,
    });
    const socket = new Socket(ws, connect);
    const hello = socket.next((f) => f.type === 'hello');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await hello;
    return socket;
  }

  /** Calls `handle` for every frame until it returns true. */
  until(handle: (frame: ServerFrame) => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bench socket: timed out')), TIMEOUT_MS);
      this.waiters.push((frame) => {
        if (!handle(frame)) return false;
        clearTimeout(timer);
        resolve();
        return true;
      });
    });
  }

  next(match: (frame: ServerFrame) => boolean): Promise<ServerFrame> {
    let found: ServerFrame | undefined;
    return this.until((f) => (match(f) ? ((found = f), true) : false)).then(() => found!);
  }

  send(frame: unknown): void {
    const text = JSON.stringify(frame);
    this.bytesSent += Buffer.byteLength(text);
    this.ws.send(text);
  }

  /**
   * Sends every `send` frame and resolves when each is acknowledged; a frame over the socket's
   * send budget (rate-limited, overloaded) is sent again when the gateway says (order is free).
   */
  sendAcked(frames: readonly { clientMsgId: string }[]): Promise<void> {
    const byId = new Map(frames.map((f) => [f.clientMsgId, f]));
    const acked = new Set<string>();
    const all = this.until((f) => {
      if (f.type === 'ack') acked.add(f.clientMsgId);
      if (f.type === 'error') {
        const frame = f.clientMsgId ? byId.get(f.clientMsgId) : undefined;
        if (!frame || (f.code !== ErrorCode.RateLimited && f.code !== ErrorCode.Overloaded))
          throw new Error(`bench send: ${f.code} ${f.message}`);
        setTimeout(() => this.send(frame), f.retryAfterMs ?? 1000);
      }
      return acked.size === byId.size;
    });
    for (const frame of frames) this.send(frame);
    return all;
  }

  close(): void {
    this.ws.close();
  }
}
