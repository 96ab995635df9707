import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';

/**
 * What this machine does per unit of the work the stack repeats, measured before a run so that
 * runs on different machines (or one machine on a noisy day) can be read side by side: a figure
 * per message means little without the speed of the machine it was taken on.
 * - `jsonUs`: one JSON encode and decode of a `send` frame, in this process (single-core speed);
 * - `loopbackRttUs`: a one-byte round trip over loopback TCP to another process, which has to be
 *   woken each time (what every hop between the stack's ten processes pays; on a virtual machine it
 *   is several times a bare machine's).
 */
export interface MachineProbe {
  cores: number;
  jsonUs: number;
  loopbackRttUs: { p50: number; p90: number; p99: number };
}

export interface ProbeOptions {
  roundTrips: number;
  jsonIterations: number;
  /** Gives up (and stops the echo process) when the round trips take longer than this. */
  timeoutMs: number;
}

const DEFAULTS: ProbeOptions = { roundTrips: 2000, jsonIterations: 100_000, timeoutMs: 10_000 };

/** The echo peer: a loopback TCP server that writes back what it reads; prints its port. */
const ECHO_SOURCE = `
const server = require('node:net').createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('error', () => undefined);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.stdin.on('end', () => process.exit(0)).resume();
`;

const SAMPLE_FRAME = {
  type: 'send',
  clientMsgId: 'lt-a-3-123456',
  conversationId: '0192b3c4-d5e6-7f80-9a1b-2c3d4e5f6a7b',
  text: `m 1234567.890 ${'x'.repeat(40)}`,
};

export async function probeMachine(options: Partial<ProbeOptions> = {}): Promise<MachineProbe> {
  const o = { ...DEFAULTS, ...options };
  const loopbackRttUs = await measureLoopback(o.roundTrips, o.timeoutMs);
  return { cores: availableParallelism(), jsonUs: measureJson(o.jsonIterations), loopbackRttUs };
}

export function formatMachineProbe(p: MachineProbe): string {
  const us = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(0));
  return (
    `machine: ${p.cores} cores; JSON encode+decode of a send frame ${us(p.jsonUs)} µs; ` +
    `loopback round trip to another process p50 ${us(p.loopbackRttUs.p50)} / p90 ${us(p.loopbackRttUs.p90)} / p99 ${us(p.loopbackRttUs.p99)} µs`
  );
}

function measureJson(iterations: number): number {
  let sink = 0;
  const pass = () => {
    sink += (JSON.parse(JSON.stringify(SAMPLE_FRAME)) as { text: string }).text.length;
  };
  for (let i = 0; i < Math.min(iterations, 20_000); i++) pass(); // warm the JIT first
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) pass();
  const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
  if (sink === 0) throw new Error('unreachable: keeps the loop from being optimised away');
  return elapsedUs / iterations;
}

async function measureLoopback(
  roundTrips: number,
  timeoutMs: number,
): Promise<MachineProbe['loopbackRttUs']> {
  // stdin is the peer's lifeline: it exits when this end closes, even if this process dies.
  const peer = spawn(process.execPath, ['-e', ECHO_SOURCE], { stdio: ['pipe', 'pipe', 'inherit'] });
  const gone = new Promise<void>((resolve) => {
    peer.once('exit', () => resolve());
    peer.once('error', () => resolve()); // never started: no exit comes
  });
  let socket: Socket | undefined;
  const timer = setTimeout(() => peer.kill('SIGKILL'), timeoutMs);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      peer.once('error', reject);
      peer.once('exit', () => reject(new Error('machine probe: the echo process exited')));
      peer.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    });
    const s = connect(port, '127.0.0.1');
    socket = s;
    s.setNoDelay(true);
    await once(s, 'connect');
    const samples: number[] = [];
    await new Promise<void>((resolve, reject) => {
      peer.once('exit', () => reject(new Error('machine probe: timed out')));
      s.once('error', reject);
      let sentAt = process.hrtime.bigint();
      const ping = () => {
        sentAt = process.hrtime.bigint();
        s.write('x');
      };
      s.on('data', () => {
        samples.push(Number(process.hrtime.bigint() - sentAt) / 1000);
        if (samples.length >= roundTrips) resolve();
        // A turn of the event loop between round trips, as a service between two requests.
        else setImmediate(ping);
      });
      ping();
    });
    samples.sort((a, b) => a - b);
    const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
  } finally {
    clearTimeout(timer);
    socket?.destroy();
    peer.stdin.end();
    peer.kill();
    await gone;
  }
}
