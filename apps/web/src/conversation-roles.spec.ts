import { ANNOUNCEMENTS_CHANNEL_ID, type ConversationView } from '@parley/protocol';
import { canLeave, composerMode, isAdmin, isChannel } from './conversation-roles';

const ME = '0b6f3c52-8a41-4f0e-9b1c-6f1d2e3a4b5c';
const BOB = '9d2c3b52-8a41-4f0e-9b1c-6f1d2e3a4b5c';

const member = (id: string, role: 'admin' | 'member') => ({
  id,
  username: id === ME ? 'alice' : 'bob',
  role,
  deliveredSeq: 0,
  readSeq: 0,
});

/** A conversation of `kind` listing `members` (a channel: its admins only). */
const view = (
  kind: string,
  members: ConversationView['members'],
  parts: Partial<ConversationView> = {},
): ConversationView => ({
  id: '1763900000000-dddddddddddddddddddddddddddddddd',
  kind,
  title: kind === 'direct' ? null : 'Releases',
  public: kind === 'channel',
  memberCount: 40,
  history: null,
  active: true,
  fromSeq: 1,
  members,
  lastMessage: null,
  lastSeq: 3,
  readSeq: 3,
  unread: 0,
  ...parts,
});

describe('what this user may do in a conversation', () => {
  it("lets a channel's admins write, and gives its other members a read-only line with Leave", () => {
    const admin = view('channel', [member(ME, 'admin')]);
    expect(isChannel(admin)).toBe(true);
    expect(isAdmin(admin, ME)).toBe(true);
    expect(composerMode(admin, ME)).toEqual({ kind: 'write' });
    // A reader is not listed at all: a channel lists its admins only.
    const reader = view('channel', [member(BOB, 'admin')]);
    expect(isAdmin(reader, ME)).toBe(false);
    expect(composerMode(reader, ME)).toEqual({ kind: 'read-only', canLeave: true });
  });

  it('never offers leaving the announcements channel', () => {
    const announcements = view('channel', [member(BOB, 'admin')], { id: ANNOUNCEMENTS_CHANNEL_ID });
    expect(canLeave(announcements)).toBe(false);
    expect(composerMode(announcements, ME)).toEqual({ kind: 'read-only', canLeave: false });
  });

  it('ends writing once the membership ended, and offers joining a public channel again', () => {
    const left = { active: false };
    expect(composerMode(view('channel', [member(BOB, 'admin')], left), ME)).toEqual({
      kind: 'ended',
      canJoin: true,
    });
    expect(
      composerMode(view('channel', [member(BOB, 'admin')], { ...left, public: false }), ME),
    ).toEqual({ kind: 'ended', canJoin: false });
    const formerAdmin = view('channel', [member(ME, 'admin')], left);
    expect(isAdmin(formerAdmin, ME)).toBe(false);
    expect(canLeave(formerAdmin)).toBe(false);
    expect(composerMode(view('group', [member(ME, 'member')], left), ME)).toEqual({
      kind: 'ended',
      canJoin: false,
    });
  });

  it('lets every member of a group or 1:1 chat write, admin or not', () => {
    const members = [member(ME, 'member'), member(BOB, 'admin')];
    expect(composerMode(view('group', members), ME)).toEqual({ kind: 'write' });
    expect(composerMode(view('direct', members), ME)).toEqual({ kind: 'write' });
    expect(isChannel(view('group', members))).toBe(false);
  });
});
