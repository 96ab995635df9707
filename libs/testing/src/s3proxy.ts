import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** The S3Proxy jar scripts/s3proxy.sh fetches from Maven Central. */
export const S3PROXY_JAR = resolve(
  __dirname,
  '../../../infra/s3proxy/lib/s3proxy-jar-with-dependencies.jar',
);

/** A running S3Proxy: an S3-compatible server over a local directory, on loopback. */
export interface RunningS3Proxy {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  await new Promise((ok) => server.close(ok));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
    return true; // any HTTP answer (403 without a signature) means it is up
  } catch {
    return false;
  }
}

/**
 * Starts S3Proxy (filesystem backend under `dataDir`, AWS v2/v4 signatures with a fixed test key
 * pair) and waits until it answers. The tests' S3-compatible server: no S3 server is a Debian
 * package here, and S3Proxy comes from Maven Central like Kafka.
 */
export async function startS3Proxy(dataDir: string): Promise<RunningS3Proxy> {
  if (!existsSync(S3PROXY_JAR)) {
    throw new Error(`S3Proxy is not fetched (${S3PROXY_JAR}): run bash scripts/s3proxy.sh fetch`);
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'parley-test', secretAccessKey: 'parley-test-secret' };
  await mkdir(join(dataDir, 'buckets'), { recursive: true });
  const properties = join(dataDir, 's3proxy.conf');
  await writeFile(
    properties,
    [
      `s3proxy.endpoint=${endpoint}`,
      's3proxy.authorization=aws-v2-or-v4',
      `s3proxy.identity=${credentials.accessKeyId}`,
      `s3proxy.credential=${credentials.secretAccessKey}`,
      'jclouds.provider=filesystem',
      `jclouds.filesystem.basedir=${join(dataDir, 'buckets')}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    'java',
    [
      '-Xmx128m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-jar',
      S3PROXY_JAR,
      '--properties',
      properties,
    ],
    { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } },
  );
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const deadline = Date.now() + 60_000;
  while (!(await answers(endpoint))) {
    if (child.exitCode !== null) throw new Error(`S3Proxy exited (${child.exitCode})`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('S3Proxy did not answer within 60 s');
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
  return {
    endpoint,
    ...credentials,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
