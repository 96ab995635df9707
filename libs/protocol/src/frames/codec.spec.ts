import { ErrorCode } from '../errors';
import { decodeClientFrame as parseClientFrame, decodeServerFrame } from './codec';

const CONVERSATION = '1763900000123-0123456789abcdef0123456789abcdef';

function problem(raw: string) {
  const parsed = parseClientFrame(raw);
  if (parsed.ok) throw new Error('expected a problem');
  return parsed.problem;
}

describe('decodeClientFrame', () => {
  it('accepts each valid frame type', () => {
    const frames = [
      { type: 'send', clientMsgId: 'm-1', to: 'bob_1', text: 'hi' },
      { type: 'send', ref: 'r1', clientMsgId: 'm-2', conversationId: CONVERSATION, text: 'hi' },
      { type: 'sync' },
      { type: 'sync', after: 'abc', limit: 10 },
      { type: 'delivered', conversationId: CONVERSATION, seq: 3 },
      { type: 'read', conversationId: CONVERSATION, seq: 3 },
      { type: 'history', conversationId: CONVERSATION, beforeSeq: 10, limit: 5 },
    ];
    for (const frame of frames) {
      expect(parseClientFrame(JSON.stringify(frame))).toEqual({ ok: true, frame });
    }
  });

  it('refuses malformed JSON and non-objects', () => {
    expect(problem('{nope')).toEqual({
      code: ErrorCode.ValidationFailed,
      message: 'Frame is not valid JSON',
    });
    expect(problem('[1,2]').message).toBe('Frame must be a JSON object');
    expect(problem('null').message).toBe('Frame must be a JSON object');
    expect(problem('{"ref":"r"}')).toMatchObject({
      message: expect.stringContaining('type'),
      ref: 'r',
    });
  });

  it('names an unknown type and echoes the ref', () => {
    expect(problem('{"type":"teleport","ref":"r9"}')).toEqual({
      code: ErrorCode.ValidationFailed,
      message: 'Unknown frame type "teleport"',
      ref: 'r9',
    });
  });

  it('refuses identity fields: the sender never comes from a frame', () => {
    for (const field of ['from', 'senderId', 'sender']) {
      const p = problem(
        JSON.stringify({
          type: 'send',
          clientMsgId: 'm-3',
          to: 'bob_1',
          text: 'x',
          [field]: 'eve',
        }),
      );
      expect(p.message).toContain(`${field} (unknown field)`);
      expect(p.clientMsgId).toBe('m-3');
    }
  });

  it('names each bad field', () => {
    const p = problem(
      JSON.stringify({ type: 'send', clientMsgId: 'bad id!', text: 5, to: 'bob_1' }),
    );
    expect(p.message).toContain('clientMsgId');
    expect(p.message).toContain('text');
    expect(p.clientMsgId).toBeUndefined(); // not echoed: it is not a valid id
    expect(
      problem(JSON.stringify({ type: 'send', clientMsgId: 'm', text: 'x' })).message,
    ).toContain('conversationId');
    // A `to` that cannot be a username (a NUL reached the user look-up once: fuzz seed 1428171226).
    expect(
      problem(JSON.stringify({ type: 'send', clientMsgId: 'm', text: 'x', to: 'bo\u0000b' }))
        .message,
    ).toContain('to');
    expect(problem(JSON.stringify({ type: 'read', conversationId: 'c1', seq: 0 })).message).toMatch(
      /conversationId.*seq/,
    );
  });

  it('names a bad target once: a `to` or `conversationId` sent with a bad value still counts as sent', () => {
    expect(
      problem(JSON.stringify({ type: 'send', clientMsgId: 'm', text: 'x', to: 'no spaces!' })),
    ).toMatchObject({ message: 'Invalid send frame: to (must be a username)' });
    expect(
      problem(JSON.stringify({ type: 'send', clientMsgId: 'm', text: 'x', conversationId: 'c1' })),
    ).toMatchObject({ message: 'Invalid send frame: conversationId (must be a conversation id)' });
    expect(
      problem(
        JSON.stringify({
          type: 'send',
          clientMsgId: 'm',
          text: 'x',
          to: 'no spaces!',
          conversationId: CONVERSATION,
        }),
      ).message,
    ).toBe(
      'Invalid send frame: to (must be a username), conversationId (exactly one of conversationId or to is required)',
    );
  });

  it('names the bad field of a sync.states entry, not just the entry', () => {
    const digest = '0'.repeat(64);
    const states = (entry: Record<string, unknown>) =>
      problem(JSON.stringify({ type: 'sync.states', states: [entry] })).message;
    expect(states({ conversationId: CONVERSATION, lastSeq: -1, digest })).toMatch(
      /^Invalid sync\.states frame: states\.0\.lastSeq \(/,
    );
    expect(states({ conversationId: CONVERSATION, lastSeq: 1.5, digest })).toMatch(
      /^Invalid sync\.states frame: states\.0\.lastSeq \(/,
    );
    expect(states({ conversationId: 'c1', tail: true })).toBe(
      'Invalid sync.states frame: states.0.conversationId (must be a conversation id)',
    );
    expect(states({ conversationId: CONVERSATION, tail: true, from: 'eve' })).toBe(
      'Invalid sync.states frame: from (unknown field)',
    );
    expect(states({ conversationId: CONVERSATION })).toBe(
      'Invalid sync.states frame: states.0 (Invalid input)',
    );
  });

  it('takes a summary only as a complete round of one frame with no states', () => {
    const summary = { conversations: 2, digest: 'a'.repeat(64) };
    const frame = { type: 'sync.states', states: [], summary, complete: true, last: true };
    expect(parseClientFrame(JSON.stringify(frame))).toEqual({ ok: true, frame });
    const entry = { conversationId: CONVERSATION, tail: true };
    for (const bad of [
      { ...frame, states: [entry] },
      { ...frame, complete: false },
      { type: 'sync.states', states: [], summary },
      { ...frame, last: false },
    ]) {
      expect(problem(JSON.stringify(bad)).message).toBe(
        'Invalid sync.states frame: summary (a summary is a complete round of one frame, with no states)',
      );
    }
    expect(
      problem(JSON.stringify({ ...frame, summary: { ...summary, conversations: 0 } })).message,
    ).toMatch(/^Invalid sync\.states frame: summary\.conversations \(/);
  });

  it('names a field of the wrong type once', () => {
    expect(
      problem(JSON.stringify({ type: 'send', clientMsgId: ['m'], to: 'bob_1', text: 'x' })).message,
    ).toMatch(/^Invalid send frame: clientMsgId \([^)]*\)$/);
    expect(
      problem(JSON.stringify({ type: 'read', conversationId: CONVERSATION, seq: 1e21 })).message,
    ).toMatch(/^Invalid read frame: seq \([^)]*9007199254740991\)$/);
  });
});

describe('decodeServerFrame', () => {
  const message = {
    conversationId: CONVERSATION,
    seq: 1,
    senderId: '0b6f3c52-8a41-4f0e-9b1c-6f1d2e3a4b5c',
    senderUsername: 'alice',
    clientMsgId: 'm-1',
    text: 'hi',
    serverTime: '2026-11-21T07:00:00.000Z',
  };

  it('parses every frame of a known type against its schema, ignoring fields it does not know', () => {
    const frame = { type: 'message', message, addedLater: true };
    const decoded = decodeServerFrame(JSON.stringify(frame));
    expect(decoded).toEqual({ ok: true, frame: { type: 'message', message } });
  });

  it('tells an unknown type (a newer server) from a broken frame', () => {
    expect(decodeServerFrame('{"type":"reaction"}')).toEqual({
      ok: false,
      reason: 'unknown-type',
      type: 'reaction',
    });
    expect(decodeServerFrame('{"type":"ack","seq":"1"}')).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    expect(decodeServerFrame('nope')).toEqual({ ok: false, reason: 'malformed' });
    expect(decodeServerFrame('{"type":"__proto__"}')).toMatchObject({ reason: 'unknown-type' });
  });
});
