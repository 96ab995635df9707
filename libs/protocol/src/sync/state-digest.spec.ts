import { createHash } from 'node:crypto';
import {
  EMPTY_STATE_DIGEST,
  emptyStateDigest,
  stateDigest,
  stateDigestInput,
  stateEntryOf,
  stateWindow,
} from './state-digest';
import { STATE_VECTORS } from './state-digest.vectors';

const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());

describe('state digest', () => {
  it.each(STATE_VECTORS)('matches the test vector: $name', (vector) => {
    const { from, to } = stateWindow(vector.lastSeq, vector.fromSeq);
    const entries = vector.messages
      .filter((m) => m.seq >= from && m.seq <= to)
      .map((m) => stateEntryOf(m, sha256));
    expect(stateDigest(vector.lastSeq, entries, sha256, vector.fromSeq)).toBe(vector.digest);
  });

  it('holds nothing from a first seq: emptyStateDigest, and EMPTY_STATE_DIGEST from seq 1', () => {
    expect(emptyStateDigest(1, sha256)).toBe(EMPTY_STATE_DIGEST);
    expect(emptyStateDigest(6, sha256)).toBe(
      STATE_VECTORS.find((v) => v.fromSeq === 6 && v.lastSeq === 5)?.digest,
    );
  });

  it('refuses a state below its first seq, and a first seq below 1', () => {
    expect(() => stateDigestInput(4, [], 6)).toThrow(RangeError);
    expect(() => stateDigestInput(0, [], 0)).toThrow(RangeError);
  });

  it('has the documented empty digest: the magic and nine zero bytes', () => {
    const input = stateDigestInput(0, []);
    expect(Buffer.from(input).toString('hex')).toBe(
      Buffer.concat([Buffer.from('parley.state.v1'), Buffer.alloc(9)]).toString('hex'),
    );
    expect(stateDigest(0, [], sha256)).toBe(EMPTY_STATE_DIGEST);
  });

  it('encodes one entry byte for byte', () => {
    const entry = stateEntryOf({ seq: 1, senderId: 'ab', clientMsgId: 'c', text: 'x' }, sha256);
    const hex = Buffer.from(stateDigestInput(1, [entry])).toString('hex');
    const expected =
      Buffer.from('parley.state.v1').toString('hex') +
      '0000000000000001' + // n
      '01' + // k
      '0000000000000001' + // seq
      '02' +
      Buffer.from('ab').toString('hex') +
      '01' +
      Buffer.from('c').toString('hex') +
      createHash('sha256').update('x').digest('hex');
    expect(hex).toBe(expected);
  });

  it('encodes seqs above 2^32 as 64-bit big-endian', () => {
    const seq = 2 ** 40 + 5;
    const entries = Array.from({ length: 10 }, (_, i) =>
      stateEntryOf({ seq: seq - 9 + i, senderId: 'a', clientMsgId: 'c', text: 't' }, sha256),
    );
    const hex = Buffer.from(stateDigestInput(seq, entries)).toString('hex');
    expect(hex.slice(30, 46)).toBe('0000010000000005');
  });

  it('refuses entries that are not exactly the window', () => {
    const e = (seq: number) =>
      stateEntryOf({ seq, senderId: 'a', clientMsgId: 'c', text: 't' }, sha256);
    expect(() => stateDigestInput(2, [e(1)])).toThrow(RangeError);
    expect(() => stateDigestInput(2, [e(2), e(1)])).toThrow(RangeError);
    expect(() =>
      stateDigestInput(
        12,
        Array.from({ length: 10 }, (_, i) => e(i + 1)),
      ),
    ).toThrow(RangeError);
    expect(() => stateDigestInput(1, [{ ...e(1), textSha256: new Uint8Array(31) }])).toThrow(
      RangeError,
    );
  });

  it('changes with any field of any message in the window, and with n', () => {
    const base = STATE_VECTORS[2];
    const digestOf = (messages: typeof base.messages, lastSeq = base.lastSeq) =>
      stateDigest(
        lastSeq,
        messages.map((m) => stateEntryOf(m, sha256)),
        sha256,
      );
    const original = digestOf(base.messages);
    const changed = [
      base.messages.map((m, i) => (i === 2 ? { ...m, text: `${m.text} ` } : m)),
      base.messages.map((m, i) => (i === 0 ? { ...m, clientMsgId: 'other' } : m)),
      base.messages.map((m, i) => (i === 4 ? { ...m, senderId: base.messages[1].senderId } : m)),
    ];
    for (const messages of changed) expect(digestOf(messages)).not.toBe(original);
  });
});
