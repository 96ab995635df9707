import { Agent, type IncomingMessage, request } from 'node:http';
import { apiErrorFromAnswer, parseAnswerJson } from '@parley/client';
import { type ConnectAnswer, type ConnectBody, connectAnswerSchema } from '@parley/protocol';

/** As the client library's 10 s: a request that hears nothing from the gateway that long fails. */
const DIRECTORY_TIMEOUT_MS = 10_000;

/**
 * A kept-alive socket idle this long is closed. Node's agent applies the server's `Keep-Alive:
 * timeout=N` hint (closing the socket a second before the server would) only when the agent has a
 * timeout of its own above it; without one a socket could be reused as the server closed it.
 */
const IDLE_SOCKET_TIMEOUT_MS = 60_000;

/** Larger answers are not a directory's: the read stops there. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** `POST /v1/connect` got no answer in time. */
export class DirectoryTimeoutError extends Error {
  constructor() {
    super('no answer from the directory in time');
    this.name = 'DirectoryTimeoutError';
  }
}

/** `POST /v1/connect` answered 2xx with something that is not a connect answer. */
export class DirectoryAnswerError extends Error {
  constructor() {
    super('the directory answered with something that is not a connect answer');
    this.name = 'DirectoryAnswerError';
  }
}

/**
 * The load generator's `POST /v1/connect`: the same request and answer as the client library's
 * `ApiClient.connect` (its answer schema, its `ApiError` for a non-2xx answer), over `node:http`
 * with one keep-alive agent per gateway. The generator shares the machine with the stack it
 * measures, and `fetch` cost it about five times the CPU per request (docs/PERFORMANCE.md).
 */
export class DirectoryRequests {
  private readonly agents = new Map<string, Agent>();

  constructor(private readonly timeoutMs = DIRECTORY_TIMEOUT_MS) {}

  /** The directory's choice and ticket from the gateway at `base` (`http://host:port`). */
  connect(base: string, accessToken: string, body: ConnectBody): Promise<ConnectAnswer> {
    const url = new URL('/v1/connect', base);
    if (url.protocol !== 'http:') return Promise.reject(new Error(`not an http URL: ${base}`));
    const payload = JSON.stringify(body);
    return new Promise<ConnectAnswer>((resolve, reject) => {
      const req = request(
        {
          // An IPv6 literal without its brackets (`[::1]` in a URL, `::1` to connect to).
          host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent: this.agentFor(url.host),
          timeout: this.timeoutMs,
          headers: {
            accept: 'application/json',
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            authorization: `Bearer ${accessToken}`,
          },
        },
        (res) => {
          readAnswer(res)
            .then((text) => answerOf(res, text))
            .then(resolve, reject);
        },
      );
      req.on('timeout', () => req.destroy(new DirectoryTimeoutError()));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Closes the kept-alive sockets. */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private agentFor(host: string): Agent {
    let agent = this.agents.get(host);
    if (!agent) {
      agent = new Agent({ keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS });
      this.agents.set(host, agent);
    }
    return agent;
  }
}

function readAnswer(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_ANSWER_BYTES) res.destroy(new DirectoryAnswerError());
      else chunks.push(chunk);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function answerOf(res: IncomingMessage, text: string): ConnectAnswer {
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 299) {
    throw apiErrorFromAnswer(status, text, res.headers['retry-after']);
  }
  const answer = connectAnswerSchema.safeParse(parseAnswerJson(text));
  if (!answer.success) throw new DirectoryAnswerError();
  return answer.data;
}
