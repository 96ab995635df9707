import { DeliveredCursor } from './delivered-cursor';

const C = '1763900000000-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const D = '1763900000000-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

describe('DeliveredCursor', () => {
  it('moves over contiguous messages from the floor a sync run establishes', () => {
    const cursor = new DeliveredCursor();
    cursor.startSync();
    for (const seq of [41, 42, 43]) cursor.observe(C, seq, 'sync');
    cursor.endSync();
    expect(cursor.takeReports()).toEqual([{ conversationId: C, seq: 43 }]);
    expect(cursor.takeReports()).toEqual([]);
    cursor.observe(C, 44, 'live');
    expect(cursor.takeReports()).toEqual([{ conversationId: C, seq: 44 }]);
  });

  it('never moves over a gap a lost push left: it asks for a sync instead', () => {
    const cursor = new DeliveredCursor();
    cursor.startSync();
    cursor.observe(C, 10, 'sync');
    cursor.endSync();
    cursor.takeReports();
    cursor.observe(C, 12, 'live'); // 11 never arrived
    expect(cursor.takeReports()).toEqual([]);
    expect(cursor.needsSync).toBe(true);
    // The sync from the server's cursor (10) brings 11 (and 12 again).
    cursor.startSync();
    expect(cursor.observe(C, 11, 'sync')).toBe(true);
    expect(cursor.observe(C, 12, 'sync')).toBe(false);
    cursor.endSync();
    expect(cursor.needsSync).toBe(false);
    expect(cursor.takeReports()).toEqual([{ conversationId: C, seq: 12 }]);
  });

  it('holds a live message of a conversation whose floor is unknown until a sync tells it', () => {
    const cursor = new DeliveredCursor();
    cursor.observe(D, 7, 'live');
    expect(cursor.takeReports()).toEqual([]);
    expect(cursor.needsSync).toBe(true);
    cursor.startSync();
    cursor.observe(D, 6, 'sync'); // the server's cursor was 5
    cursor.observe(D, 7, 'sync');
    cursor.endSync();
    expect(cursor.takeReports()).toEqual([{ conversationId: D, seq: 7 }]);
  });

  it('takes a conversation a finished sync did not list as held up to what it holds', () => {
    const cursor = new DeliveredCursor();
    cursor.observe(D, 9, 'live');
    cursor.startSync();
    cursor.endSync(); // nothing past the server's cursor: 9 was its last
    expect(cursor.needsSync).toBe(false);
    expect(cursor.takeReports()).toEqual([{ conversationId: D, seq: 9 }]);
  });

  it('knows that a first message (seq 1) has nothing below it', () => {
    const cursor = new DeliveredCursor();
    cursor.observe(C, 1, 'live');
    cursor.observe(C, 2, 'live');
    expect(cursor.takeReports()).toEqual([{ conversationId: C, seq: 2 }]);
    expect(cursor.needsSync).toBe(false);
  });

  it('ignores what it already holds, and a sync from a lagging server cursor', () => {
    const cursor = new DeliveredCursor();
    cursor.startSync();
    cursor.observe(C, 5, 'sync');
    cursor.endSync();
    expect(cursor.observe(C, 5, 'live')).toBe(false);
    cursor.startSync();
    expect(cursor.observe(C, 3, 'sync')).toBe(false); // the server's cursor was behind ours
    expect(cursor.floor(C)).toBe(5);
  });
});
