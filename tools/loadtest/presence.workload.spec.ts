import { Topic } from '@parley/common/contracts/topics';
import { Histogram } from './histogram';
import { emptyPublishTally } from './hop-events';
import {
  emptyPresenceCounters,
  type PresenceCounters,
  type PresenceResult,
  type PresenceStormReconnected,
  type PresenceStormResult,
} from './ipc';
import { ACTIVITY_TOPIC, CONNECTIONS_TOPIC, planPresence, TYPING_TOPIC } from './presence.plan';
import {
  buildPresenceReport,
  buildStormReport,
  type PresenceStepContext,
} from './presence.workload';
import { formatPresenceTable } from './report';

function histogram(values: number[]) {
  const h = new Histogram();
  for (const v of values) h.record(v);
  return h.toJSON();
}

function result(workerIndex: number, counters: Partial<PresenceCounters>): PresenceResult {
  return {
    type: 'presenceResult',
    workerIndex,
    step: 1,
    counters: { ...emptyPresenceCounters(), ...counters },
    errors: workerIndex === 0 ? { socket_not_open: 1 } : {},
    lag: histogram([1, 2, 3]),
    typingLatency: histogram([4, 6]),
    sockets: 50,
    frames: { presence: 300, typing: 9 },
    frameBytes: 1000,
  };
}

const layout = planPresence({ users: 100, watch: 20, conversations: 1 });

const context: PresenceStepContext = {
  step: 1,
  warmup: false,
  startedAt: new Date('2026-12-01T10:00:00Z'),
  layout,
  changeRate: 0.1,
  typingRate: 1,
  awayS: 10,
  durationS: 10,
  drainS: 13,
  gateways: ['http://127.0.0.1:3000', 'http://127.0.0.1:3001'],
  lagLimitMs: 50,
  events: {
    kafkaByTopic: {
      [CONNECTIONS_TOPIC]: 100,
      [ACTIVITY_TOPIC]: 40,
      [TYPING_TOPIC]: 9,
      'parley.gateway.heartbeats.v1': 7,
    },
    redisPresence: { publishes: 95, bytes: 9500, online: 50, offline: 45 },
    redisDeliveries: {
      ...emptyPublishTally(),
      publishes: 9,
      typingPublishes: 9,
      typingEntries: 9,
      typingSockets: 9,
    },
    frames: { presence: 300, typing: 9 },
    frameBytes: 1000,
    dbWrites: { inserted: 0, updated: 30, deleted: 0, rows: 30 },
  },
  processes: [
    { name: 'gateway:3000', processes: 1, cpuPercent: 10, rssMiB: 100 },
    { name: 'gateway:3001', processes: 1, cpuPercent: 12.5, rssMiB: 100 },
    { name: 'presence', processes: 1, cpuPercent: 7, rssMiB: 90 },
    { name: 'postgres', processes: 5, cpuPercent: 3, rssMiB: 300 },
    { name: 'generator', processes: 3, cpuPercent: 20, rssMiB: 150 },
  ],
  idleStackCpuPercent: 6,
  idleProcesses: [{ name: 'presence', processes: 1, cpuPercent: 1, rssMiB: 90 }],
};

describe('buildPresenceReport', () => {
  it('names the topics as libs/common does', () => {
    expect(CONNECTIONS_TOPIC).toBe(Topic.Connections);
    expect(ACTIVITY_TOPIC).toBe(Topic.Activity);
    expect(TYPING_TOPIC).toBe(Topic.Typing);
  });

  it("merges the workers and divides each hop by the step's seconds and its changes", () => {
    const report = buildPresenceReport(
      [
        result(0, { toBackground: 25, toForeground: 25, typingSent: 5, presenceEntries: 1000 }),
        result(1, {
          toBackground: 25,
          toForeground: 25,
          typingSent: 4,
          presenceFrames: 900,
          presenceEntries: 900,
          typingReceived: 9,
        }),
      ],
      context,
    );
    expect(report).toMatchObject({
      workload: 'presence',
      sockets: 100,
      toggles: 100,
      typingSent: 9,
      presenceEntries: 1900,
      errors: { socket_not_open: 1 },
      stackCpuPercent: 32.5,
      presenceCpuPercent: 7,
      gatewaysCpuPercent: 22.5,
      generatorCpuPercent: 20,
      generatorBehind: false,
      idleStackCpuPercent: 6,
    });
    expect(report.warmup).toBeUndefined();
    expect(report.perSecond).toEqual({
      toggles: 10,
      typingSignals: 0.9,
      kafkaConnections: 10,
      kafkaActivity: 4,
      kafkaTyping: 0.9,
      redisPresence: 9.5,
      redisTypingEntries: 0.9,
      presenceFrames: 90,
      presenceEntries: 190,
      typingFrames: 0.9,
      dbWrites: 3,
    });
    expect(report.perChange).toEqual({
      redisPresencePerToggle: 0.95,
      pushesPerToggle: 19,
      pushesPerPublished: 20,
      presenceFramesPerToggle: 9,
      kafkaConnectionsPerToggle: 1,
      kafkaActivityPerForeground: 0.8,
      dbWritesPerToggle: 0.3,
      kafkaTypingPerSignal: 1,
      redisTypingEntriesPerSignal: 1,
      typingFramesPerSignal: 1,
    });
    expect(report.typingLatencyMs.count).toBe(4);
    expect(report.scheduleLagMs.count).toBe(6);
  });

  it('says what was not measured (no Redis watch, no database) rather than zero', () => {
    const report = buildPresenceReport([result(0, { toBackground: 1 })], {
      ...context,
      warmup: true,
      events: { ...context.events, redisPresence: null, redisDeliveries: null, dbWrites: null },
    });
    expect(report.warmup).toBe(true);
    expect(report.perSecond.redisPresence).toBeNull();
    expect(report.perSecond.dbWrites).toBeNull();
    expect(report.perChange.pushesPerPublished).toBeNull();
    expect(report.perChange.typingFramesPerSignal).toBeNull();
  });

  it('prints the summary, the events per hop and the processes', () => {
    const report = buildPresenceReport(
      [result(0, { toBackground: 50, toForeground: 50, typingSent: 9, presenceEntries: 1900 })],
      context,
    );
    const text = formatPresenceTable([report]);
    expect(text).toContain('presence: 100 users watching 20 each');
    expect(text).toMatch(/kafka parley\.activity\.v1 +40 +4 +0\.8 \/foreground/);
    expect(text).toMatch(/kafka parley\.typing\.v1 +9 +0\.9 +1 \/signal/);
    expect(text).toMatch(/redis presence publishes \(changes\) +95 +9\.5 +0\.95 \/toggle/);
    expect(text).toMatch(/presence entries received \(pushes\) +1900 +190 +19 \/toggle/);
    expect(text).toMatch(/postgres user_presence rows written +30 +3 +0\.3 \/toggle/);
    expect(text).toContain('0 / 30 / 0');
    expect(text).toMatch(/presence +1% \/ 90 +7% \/ 90/);
  });
});

describe('buildStormReport', () => {
  const userIds = Array.from({ length: 100 }, (_, i) => `u${i}`);
  const back = (dropped: number, elapsedMs: number): PresenceStormReconnected => ({
    type: 'presenceStormReconnected',
    workerIndex: 0,
    dropped,
    reconnected: dropped,
    failed: 0,
    late: 1,
    elapsedMs,
    latency: histogram([elapsedMs]),
    errors: {},
  });
  const pushed = (maxPushedPerUser: Record<string, number>): PresenceStormResult => ({
    type: 'presenceStormResult',
    workerIndex: 0,
    maxPushedPerUser,
    entries: Object.values(maxPushedPerUser).reduce((a, b) => a + b, 0),
    snapshots: 10,
  });
  const input = {
    layout,
    storm: 10,
    startedAt: new Date('2026-12-01T10:01:00Z'),
    gateways: context.gateways,
    workers: 2,
    back: [back(5, 900), back(5, 1200)],
    reconnectLatency: new Histogram(),
    settleS: 10,
    graceMs: 5000,
    userIds,
    hops: { kafkaByTopic: { [CONNECTIONS_TOPIC]: 30 }, dbWrites: null },
    processes: [],
  };

  it('passes when no dropped user changed more than once, published or pushed', () => {
    const report = buildStormReport({
      ...input,
      results: [pushed({ u0: 1 }), pushed({ u0: 1, u3: 1 })],
      publishedPerUser: new Map([
        ['u0', 1],
        ['u3', 1],
        ['u50', 1],
      ]),
      publishedKinds: { online: 0, offline: 3 },
    });
    expect(report).toMatchObject({
      workload: 'presence-storm',
      dropped: 10,
      reconnected: 10,
      reconnectS: 1.2,
      backAfterGrace: 2,
      publishedOffline: 3,
      published: { users: 10, changed: 2, max: 1, mean: 0.2, overOne: 0, total: 2 },
      publishedOthers: 1,
      pushed: { users: 10, changed: 2, max: 1, overOne: 0 },
      pushedOthers: 0,
      passed: true,
    });
    expect(formatPresenceTable([], report)).toContain('storm: 10 devices dropped at once');
  });

  it('fails when a user went offline and online again', () => {
    const report = buildStormReport({
      ...input,
      results: [pushed({ u2: 2 })],
      publishedPerUser: null,
      publishedKinds: null,
    });
    expect(report.published).toBeNull();
    expect(report.pushed).toMatchObject({ max: 2, overOne: 1 });
    expect(report.passed).toBe(false);
  });
});
