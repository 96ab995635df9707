import {
  ACCOUNT_EVENTS,
  AccountLoggedInV1,
  createEnvelope,
  EventDecoder,
  EventEnvelope,
} from '@parley/common';
import { randomUUID } from 'node:crypto';
import { RawRecord } from './dead-letter.record';
import {
  DeadLetter,
  PartitionBatchPorts,
  PartitionBatchProcessor,
} from './partition-batch.processor';
import { PoisonEventError } from './poison-event.error';

const decoder = new EventDecoder(ACCOUNT_EVENTS);
const source = { topic: 'parley.account.events.v1', partition: 0, group: 'parley.presence' };
const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn(), debug: jest.fn() };

function valid(offset: number): { record: RawRecord; id: string } {
  const env = createEnvelope(
    AccountLoggedInV1,
    { userId: randomUUID(), at: new Date().toISOString() },
    'test',
  );
  return {
    id: env.id,
    record: {
      offset: String(offset),
      key: Buffer.from(env.payload.userId),
      value: Buffer.from(JSON.stringify(env)),
      headers: {},
    },
  };
}
function junk(offset: number): RawRecord {
  return { offset: String(offset), key: Buffer.from('k'), value: Buffer.from('{{'), headers: {} };
}

/** Records the order of side effects, so tests can assert "commit only after ...". */
function fakePorts(overrides: Partial<PartitionBatchPorts> = {}) {
  const log: string[] = [];
  const letters: DeadLetter[] = [];
  const calls: string[][] = [];
  const ports: PartitionBatchPorts = {
    deadLetter: (l) => {
      letters.push(...l);
      log.push(`dlq:${l.map((x) => x.payload.sourceOffset).join(',')}`);
      return Promise.resolve();
    },
    invoke: (events: EventEnvelope[]) => {
      calls.push(events.map((e) => e.id));
      log.push(`invoke:${events.length}`);
      return Promise.resolve();
    },
    commit: (offset) => {
      log.push(`commit:${offset}`);
      return Promise.resolve();
    },
    heartbeat: () => Promise.resolve(),
    shouldStop: () => false,
    wait: () => Promise.resolve(),
    ...overrides,
  };
  return { ports, log, letters, calls };
}

function processor(maxEventsPerCall = 500) {
  return new PartitionBatchProcessor(source, (raw) => decoder.decode(raw), logger, {
    maxEventsPerCall,
    backoff: { initialMs: 1, maxMs: 2, jitter: 0 },
  });
}

beforeEach(() => jest.clearAllMocks());

describe('PartitionBatchProcessor', () => {
  it('dead-letters invalid records, hands the valid ones over in order, then commits last+1', async () => {
    const a = valid(10);
    const c = valid(12);
    const { ports, log, letters, calls } = fakePorts();
    const result = await processor().process([a.record, junk(11), c.record], ports);
    expect(result).toBe('committed');
    expect(log).toEqual(['dlq:11', 'invoke:2', 'commit:13']);
    expect(calls).toEqual([[a.id, c.id]]);
    expect(letters[0]).toMatchObject({ key: 'k', payload: { reason: 'value is not valid JSON' } });
  });

  it('commits a batch of only invalid records without calling the handler', async () => {
    const { ports, log } = fakePorts();
    await processor().process([junk(5), junk(6)], ports);
    expect(log).toEqual(['dlq:5,6', 'commit:7']);
  });

  it('splits long batches and commits after each piece', async () => {
    const records = [1, 2, 3, 4, 5].map((n) => valid(n).record);
    const { ports, log } = fakePorts();
    await processor(2).process(records, ports);
    expect(log).toEqual(['invoke:2', 'commit:3', 'invoke:2', 'commit:5', 'invoke:1', 'commit:6']);
  });

  it('retries a retriable failure without committing, logging the outage once and the recovery', async () => {
    let failures = 3;
    const wait = jest.fn(() => Promise.resolve());
    const { ports, log } = fakePorts({
      invoke: () => (failures-- > 0 ? Promise.reject(new Error('db down')) : Promise.resolve()),
      wait,
    });
    await processor().process([valid(0).record], ports);
    expect(wait).toHaveBeenCalledTimes(3);
    expect(log).toEqual(['commit:1']);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.log).toHaveBeenCalledWith(
      expect.objectContaining({ attempts: 4 }),
      expect.stringContaining('recovered'),
    );
  });

  it('does not re-send dead letters when only the handler is retried', async () => {
    let failures = 2;
    const { ports, log } = fakePorts();
    const invoke = ports.invoke;
    ports.invoke = (events) => (failures-- > 0 ? Promise.reject(new Error('x')) : invoke(events));
    await processor().process([junk(0), valid(1).record], ports);
    expect(log).toEqual(['dlq:0', 'invoke:1', 'commit:2']);
  });

  it('stops without committing when the consumer closes mid-retry', async () => {
    let stop = false;
    const { ports, log } = fakePorts({
      invoke: () => Promise.reject(new Error('down')),
      wait: () => {
        stop = true;
        return Promise.resolve();
      },
      shouldStop: () => stop,
    });
    expect(await processor().process([valid(0).record], ports)).toBe('stopped');
    expect(log).toEqual([]);
  });

  it('dead-letters poison events and re-runs the handler with the rest', async () => {
    const a = valid(0);
    const b = valid(1);
    const c = valid(2);
    const { ports, log, letters, calls } = fakePorts();
    const invoke = ports.invoke;
    ports.invoke = (events) =>
      events.some((e) => e.id === b.id)
        ? Promise.reject(new PoisonEventError([b.id], 'breaks an invariant'))
        : invoke(events);
    await processor().process([a.record, b.record, c.record], ports);
    expect(calls).toEqual([[a.id, c.id]]);
    expect(log).toEqual(['dlq:1', 'invoke:2', 'commit:3']);
    expect(letters[0].payload.reason).toBe('handler rejected: breaks an invariant');
  });

  it('recognises a poison verdict that went through Nest RPC exception filters', async () => {
    const a = valid(0);
    const { ports, log } = fakePorts({
      // Nest's RPC exception layer rejects with the exception's plain error object.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      invoke: () => Promise.reject(new PoisonEventError([a.id], 'nope').getError()),
    });
    await processor().process([a.record], ports);
    expect(log).toEqual(['dlq:0', 'commit:1']);
  });

  it('keeps retrying when the dead-letter send fails, and commits only after it is acked', async () => {
    let failures = 2;
    const { ports, log } = fakePorts();
    const deadLetter = ports.deadLetter;
    ports.deadLetter = (l) =>
      failures-- > 0 ? Promise.reject(new Error('kafka down')) : deadLetter(l);
    await processor().process([junk(3)], ports);
    expect(log).toEqual(['dlq:3', 'commit:4']);
  });
});
