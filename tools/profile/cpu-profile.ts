import { z } from 'zod/v4';

/**
 * A V8 CPU profile as `node --cpu-prof` writes it (`PARLEY_NODE_ARGS="--cpu-prof
 * --cpu-prof-dir=…"` for the stack's services): a tree of call frames, and which node was on top
 * of the stack at each sample.
 */
export const cpuProfileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number().int(),
      callFrame: z.object({
        functionName: z.string(),
        url: z.string(),
        lineNumber: z.number().int(),
      }),
      children: z.array(z.number().int()).optional(),
    }),
  ),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number().int()),
  timeDeltas: z.array(z.number()),
});
export type CpuProfile = z.output<typeof cpuProfileSchema>;
type CallFrame = CpuProfile['nodes'][number]['callFrame'];

/** One row of a summary: a key and its busy samples. */
export interface ProfileRow {
  key: string;
  samples: number;
  /** Of the window's busy samples (idle left out), 0..1. */
  share: number;
}

export interface ProfileSummary {
  /** Samples in the window, idle included. */
  samples: number;
  /** Samples in which the process was not idle. */
  busy: number;
  rows: ProfileRow[];
}

export interface WindowOptions {
  /** Only the samples of the profile's last seconds (e.g. a step, not the start-up). */
  lastSeconds?: number;
}

/**
 * Where a frame's code lives: its npm package, the Node module (`node:net`), the app or library
 * directory of this repository (`apps/storage/src/fanout`), or V8's own entries (`(garbage
 * collector)`, `(program)`) and `(native)` for built-ins without a script.
 */
export function placeOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/')[0];
  const own = /((?:apps|libs|tools)\/[^/]+\/src\/[^/]+|(?:apps|libs|tools)\/[^/]+)\//.exec(url);
  return own ? own[1] : url;
}

/** A frame as a row key: `function place:line`. */
export function frameKey(frame: CallFrame): string {
  return `${frame.functionName || '(anonymous)'} ${placeOf(frame)}:${frame.lineNumber + 1}`;
}

/** The profile's nodes by id, each with its parent's id. */
function indexOf(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  return { byId, parent };
}

/** The busy samples of the window (their top node ids), and the window's sample count. */
function windowOf(
  profile: CpuProfile,
  byId: ReadonlyMap<number, { callFrame: CallFrame }>,
  options: WindowOptions,
) {
  let at = profile.startTime;
  const times = profile.timeDeltas.map((delta) => (at += delta));
  const from =
    options.lastSeconds === undefined
      ? Number.NEGATIVE_INFINITY
      : (times.at(-1) ?? profile.startTime) - options.lastSeconds * 1e6;
  const busy: number[] = [];
  let samples = 0;
  profile.samples.forEach((id, i) => {
    if (times[i] < from) return;
    samples++;
    if (byId.get(id)?.callFrame.functionName !== '(idle)') busy.push(id);
  });
  return { samples, busy };
}

function rowsOf(counts: ReadonlyMap<string, number>, busy: number): ProfileRow[] {
  return [...counts]
    .map(([key, samples]) => ({ key, samples, share: busy === 0 ? 0 : samples / busy }))
    .sort((a, b) => b.samples - a.samples || a.key.localeCompare(b.key));
}

/**
 * Self time: each busy sample counted once, for the frame on top of the stack, by package (where
 * the code lives) or by function.
 */
export function summarise(
  profile: CpuProfile,
  options: WindowOptions & { by: 'place' | 'function' },
): ProfileSummary {
  const { byId } = indexOf(profile);
  const { samples, busy } = windowOf(profile, byId, options);
  const counts = new Map<string, number>();
  for (const id of busy) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const key = options.by === 'place' ? placeOf(frame) : frameKey(frame);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { samples, busy: busy.length, rows: rowsOf(counts, busy.length) };
}

/**
 * Who calls a frame: the busy samples whose top frame's function name matches `frame`, grouped
 * by their chain of `depth` callers (nearest first). What a native function such as `writev` or
 * `writeUtf8String` is spent for.
 */
export function callersOf(
  profile: CpuProfile,
  options: WindowOptions & { frame: RegExp; depth: number },
): ProfileSummary {
  const { byId, parent } = indexOf(profile);
  const { samples, busy } = windowOf(profile, byId, options);
  const counts = new Map<string, number>();
  for (const id of busy) {
    if (!options.frame.test(byId.get(id)?.callFrame.functionName ?? '')) continue;
    const chain: string[] = [];
    for (let up = parent.get(id); up !== undefined && chain.length < options.depth;) {
      const node = byId.get(up);
      if (!node || node.callFrame.functionName === '(root)') break;
      chain.push(frameKey(node.callFrame));
      up = parent.get(up);
    }
    const key = chain.join(' < ') || '(no caller)';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { samples, busy: busy.length, rows: rowsOf(counts, busy.length) };
}
