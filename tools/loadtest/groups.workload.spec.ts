import { Topic } from '@parley/common/contracts/topics';
import { planGroups } from './groups.plan';
import { buildGroupsReport, cpuMsAboveIdle, type GroupsStepContext } from './groups.workload';
import { emptyPublishTally } from './hop-events';
import { Histogram } from './histogram';
import { emptyCounters, type StepResult } from './ipc';
import {
  CURSORS_TOPIC,
  eventsPerMessage,
  formatGroupsTable,
  type GroupsStepReport,
  type HopEvents,
  MESSAGES_TOPIC,
} from './report';

function histogram(values: number[] = []) {
  const h = new Histogram();
  for (const v of values) h.record(v);
  return h.toJSON();
}

function result(partial: Partial<StepResult> & { deliveryMs?: number[] }): StepResult {
  return {
    type: 'stepResult',
    workerIndex: 0,
    step: 0,
    counters: emptyCounters(),
    errors: {},
    ack: histogram([5]),
    delivery: histogram(partial.deliveryMs),
    lag: histogram([1]),
    ackedIds: [],
    deliveredIds: [],
    lastAckAt: 0,
    unacked: 0,
    ...partial,
  };
}

const layout = planGroups({ kind: 'group', groups: 2, members: 10, online: 3 });
const context: GroupsStepContext = {
  step: 0,
  startedAt: new Date('2026-11-25T07:00:00Z'),
  layout,
  offeredRate: 2,
  durationS: 10,
  drainS: 5,
  gateways: ['http://127.0.0.1:3000'],
  p99LimitMs: 250,
  lagLimitMs: 50,
  stepStartMs: 1_000_000,
  generatorCpuPercent: 5,
  generatorProcesses: 3,
};

describe('buildGroupsReport', () => {
  it('merges the workers: expected = online members of the group but the sender, per message', () => {
    const counters = {
      ...emptyCounters(),
      sent: 2,
      accepted: 2,
      acked: 2,
      delivered: 4,
      resynced: 1,
    };
    const report = buildGroupsReport(
      [
        result({
          counters,
          ackedIds: [0, 2],
          ackedGroups: [0, 1],
          deliveredIds: [0, 2],
          deliveredCounts: [1, 1],
          onlineByGroup: [2, 1],
          lastAckAt: 1_004_000,
          lastDeliveryAt: 1_012_500,
          deliveryMs: [10, 20],
          frames: { message: 2, ack: 2, accepted: 2 },
          frameBytes: 600,
        }),
        result({
          workerIndex: 1,
          counters: { ...emptyCounters(), delivered: 2 },
          deliveredIds: [0, 2],
          deliveredCounts: [1, 1],
          onlineByGroup: [1, 2],
          deliveryMs: [30, 300],
          frames: { message: 2, receipt: 3 },
          frameBytes: 400,
        }),
      ],
      context,
    );
    expect(report).toMatchObject({
      workload: 'groups',
      kind: 'group',
      sockets: 6,
      sent: 2,
      acked: 2,
      expectedDeliveries: 4,
      delivered: 4,
      resynced: 1,
      lost: 0,
      lostMessages: 0,
      // the last delivery came 12.5 s after the start: longer than the 10 s step
      deliveredRate: 0.3,
      achievedRate: 0.2,
      frames: { message: 4, ack: 2, accepted: 2, receipt: 3 },
      frameBytes: 1000,
    });
    expect(report.deliveryLatencyMs.count).toBe(4);
    expect(report.passed).toBe(false);
    expect(report.failReasons).toEqual(['delivery p99 > 250 ms']);
  });

  it('fails a step that lost, doubled or reordered deliveries', () => {
    const report = buildGroupsReport(
      [
        result({
          counters: {
            ...emptyCounters(),
            sent: 1,
            acked: 1,
            delivered: 1,
            duplicates: 1,
            outOfOrder: 2,
          },
          ackedIds: [0],
          ackedGroups: [1],
          deliveredIds: [0],
          deliveredCounts: [1],
          onlineByGroup: [3, 3],
          unacked: 1,
        }),
      ],
      context,
    );
    expect(report.lost).toBe(1);
    expect(report.failReasons).toEqual([
      '1 deliveries lost',
      '1 unacked',
      '1 duplicates',
      '2 out of order',
    ]);
  });
});

describe('events per message', () => {
  const events: HopEvents = {
    kafkaByTopic: {
      [MESSAGES_TOPIC]: 20,
      [CURSORS_TOPIC]: 5,
      'parley.gateway.heartbeats.v1': 5,
    },
    redis: {
      ...emptyPublishTally(),
      publishes: 50,
      bytes: 20_480,
      boxMessagePublishes: 30,
      broadcastPublishes: 0,
      receiptPublishes: 20,
      items: 40,
      namedSockets: 400,
    },
    frames: { message: 380, ack: 20, receipt: 1000 },
    frameBytes: 40_960,
    gatewayMessageFrames: 380,
  };

  it('names the topics as libs/common does', () => {
    expect(MESSAGES_TOPIC).toBe(Topic.MessagesAccepted);
    expect(CURSORS_TOPIC).toBe(Topic.Cursors);
  });

  it('divides every hop by the acked messages', () => {
    expect(eventsPerMessage(events, 20)).toEqual({
      kafkaMessages: 1,
      kafkaCursors: 0.25,
      kafkaAll: 1.5,
      redisMessages: 1.5,
      redisReceipts: 1,
      redisAll: 2.5,
      redisBytes: 1024,
      frames: 70,
      messageFrames: 19,
      receiptFrames: 50,
      socketBytes: 2048,
    });
    expect(eventsPerMessage(events, 0)).toBeNull();
    expect(eventsPerMessage({ ...events, redis: null }, 20)?.redisAll).toBeNull();
  });

  it('prints the delivery, cost and events tables', () => {
    const merged = buildGroupsReport([result({})], context);
    const { frames: _frames, frameBytes: _bytes, ...rest } = merged;
    const report: GroupsStepReport = {
      ...rest,
      acked: 20,
      stackCpuMsPerMessage: 12.5,
      stackCpuUsPerDelivery: 660,
      idleStackCpuPercent: 4,
      stackCpuMsPerMessageAboveIdle: 10.5,
      events,
      perMessage: eventsPerMessage(events, 20),
      hops: [{ hop: 'gateway_out', count: 380, p50Ms: 12, p99Ms: 40 }],
      processes: [{ name: 'storage', processes: 1, cpuPercent: 12, rssMiB: 200 }],
    };
    const text = formatGroupsTable([report]);
    expect(text).toContain(
      'groups: 2 x 10 members, 3 online each (3 sending); idle stack 4% of a core',
    );
    expect(text).toContain('12.5 / 10.5');
    expect(text).toContain('1 / 0.25 / 1.5');
    expect(text).toContain('1.5 / 1 / 2.5');
    expect(text).toContain('19 / 50 / 70');
    expect(text).toMatch(/kafka parley\.messages\.accepted\.v1 +20 \(1\)/);
    expect(text).toMatch(/redis box publishes with messages +30 \(1\.5\)/);
    expect(text).toMatch(/frames receipt \(received\) +1000 \(50\)/);
    expect(text).toMatch(/gateway message frames written +380 \(19\)/);
    expect(text).toContain('gateway_out');
  });
});

describe('cpuMsAboveIdle', () => {
  it('leaves the idle stack out of the CPU per message', () => {
    // 30% of a core for 10 s, 5% of it idle: 2.5 s of CPU for 100 messages
    expect(cpuMsAboveIdle(30, 5, 10, 100)).toBe(25);
    expect(cpuMsAboveIdle(3, 5, 10, 100)).toBe(0);
    expect(cpuMsAboveIdle(30, 5, 10, 0)).toBeNull();
  });
});
