import { ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { conversationsOf, createAccount, ParleyTestClient, TestAccount } from '@parley/testing';
import { withTimeout } from '@parley/common';
import type { UserPresence } from '@parley/protocol';
import { eventually, SyncDevice, waitFor } from './support/sync-device';
import { testStack } from './support/test-stack';
import { upgradesAdded, upgradesByWay } from './support/upgrades';

/**
 * The `parley` terminal client, built in dist/, driven like a person would: two instances, each
 * under its own pseudo-terminal (util-linux `script`) with its own config directory, log in with
 * the CLI's own `login`, open `chat` with each other and exchange a message through the real stack.
 */
const MAIN = join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
const stack = testStack();

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-Z\\-_]|\r/g;
const strip = (text: string) => text.replace(ANSI, '');

function cliEnv(server: string, configDir: string, extra: NodeJS.ProcessEnv = {}) {
  return {
    PATH: process.env.PATH,
    HOME: configDir,
    LANG: 'C.UTF-8',
    PARLEY_SERVER: server,
    PARLEY_CONFIG_DIR: configDir,
    ...extra,
  };
}

/** One CLI process under a pseudo-terminal; collects everything it prints. */
class PtyRun {
  output = '';
  exitCode: number | null | undefined;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<number | null>;

  constructor(command: string, env: NodeJS.ProcessEnv) {
    this.child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { ...env, TERM: 'xterm', COLUMNS: '100', LINES: '30' },
      detached: true, // its own process group, so the whole tree can be killed
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => (this.output += chunk));
    this.child.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  get text(): string {
    return strip(this.output);
  }

  type(keys: string): void {
    this.child.stdin.write(keys);
  }

  async waitFor(match: (text: string) => boolean, what: string, timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!match(this.text)) {
      if (this.exitCode !== undefined)
        throw new Error(`exited (${this.exitCode}) before ${what}:\n${this.text.slice(-2000)}`);
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}:\n${this.text.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async waitExit(timeoutMs = 10000): Promise<number | null> {
    return withTimeout(this.exited, timeoutMs, 'the CLI process (exiting)');
  }

  kill(): void {
    if (this.exitCode !== undefined || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

describe('parley CLI (two terminals, two gateways)', () => {
  const dirs: string[] = [];
  const runs: PtyRun[] = [];
  let alice: TestAccount;
  let bob: TestAccount;
  let aliceDir: string;
  let bobDir: string;

  beforeAll(async () => {
    alice = await createAccount(stack.gateways[0], 'alice');
    bob = await createAccount(stack.gateways[1], 'bob');
    aliceDir = mkdtempSync(join(tmpdir(), 'parley-cli-alice-'));
    bobDir = mkdtempSync(join(tmpdir(), 'parley-cli-bob-'));
    dirs.push(aliceDir, bobDir);
  });

  /** Bob's `chat alice` on gateway 2 and alice's `chat bob` on gateway 1, both online. */
  async function openChats(): Promise<{ bobRun: PtyRun; aliceRun: PtyRun }> {
    const bobRun = new PtyRun(
      `node ${MAIN} chat ${alice.username}`,
      cliEnv(stack.gateways[1], bobDir),
    );
    const aliceRun = new PtyRun(
      `node ${MAIN} chat ${bob.username}`,
      cliEnv(stack.gateways[0], aliceDir),
    );
    runs.push(bobRun, aliceRun);
    await bobRun.waitFor((t) => t.includes('online via'), 'bob online');
    await aliceRun.waitFor((t) => t.includes('online via'), 'alice online');
    return { bobRun, aliceRun };
  }

  afterAll(() => {
    runs.forEach((run) => run.kill());
    dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  it('logs in with `parley login` and keeps the tokens private', () => {
    for (const [account, dir, server] of [
      [alice, aliceDir, stack.gateways[0]],
      [bob, bobDir, stack.gateways[1]],
    ] as const) {
      const login = spawnSync(process.execPath, [MAIN, 'login', '--username', account.username], {
        env: cliEnv(server, dir, { PARLEY_PASSWORD: account.password }),
        encoding: 'utf8',
      });
      expect(login.stderr).toBe('');
      expect(login.status).toBe(0);
      expect(login.stdout).toContain(`Logged in as ${account.username}`);
      const credentials = join(dir, 'credentials.json');
      expect(statSync(credentials).mode & 0o777).toBe(0o600);
      expect(statSync(dir).mode & 0o777).toBe(0o700);

      const whoami = spawnSync(process.execPath, [MAIN, 'whoami'], {
        env: cliEnv(server, dir),
        encoding: 'utf8',
      });
      expect(whoami.status).toBe(0);
      expect(whoami.stdout).toContain(account.username);
    }
  });

  it('alice types a line in `chat bob`; bob sees it live and alice sees it marked sent, then read', async () => {
    const upgradesBefore = await upgradesByWay(stack.gateways);
    const { bobRun, aliceRun } = await openChats();
    // Each terminal opened its socket directly on its gateway with its access token (or, sent on
    // by a busier gateway's 421, through the directory): no directory round first.
    const added = upgradesAdded(upgradesBefore, await upgradesByWay(stack.gateways));
    expect(added('direct') + added('redirected')).toBe(2);

    const text = `hello bob ${randomUUID().slice(0, 8)}`;
    aliceRun.type(`${text}\r`);
    // Generous: a freshly started stack may still be joining its Kafka consumer groups.
    await bobRun.waitFor(
      (t) => t.includes(`${alice.username}: ${text}`),
      'the message at bob',
      60000,
    );
    await aliceRun.waitFor((t) => t.includes(`${alice.username}: ${text} ✓`), 'the sent mark');
    // Bob's open chat holds it and shows it: alice's mark goes on to read (✓✓ delivered, ✔✔ read).
    await aliceRun.waitFor((t) => t.includes(`${alice.username}: ${text} ✔✔`), 'the read mark');
    // `/info`: who got it and read it, and when.
    aliceRun.type('/info\r');
    await aliceRun.waitFor(
      (t) => new RegExp(`: read by ${bob.username} \\d`).test(t),
      'who read it, with a time',
    );

    // The ack pruned the outbox.
    const outbox = join(aliceDir, 'outbox.json');
    if (existsSync(outbox))
      expect(JSON.parse(readFileSync(outbox, 'utf8'))).toMatchObject({ entries: [] });

    // And back: bob answers, alice sees it.
    const answer = `hi alice ${randomUUID().slice(0, 8)}`;
    bobRun.type(`${answer}\r`);
    await aliceRun.waitFor((t) => t.includes(`${bob.username}: ${answer}`), 'the answer at alice');
    await bobRun.waitFor((t) => t.includes(`${bob.username}: ${answer} ✓`), 'bob sent mark');

    aliceRun.type('/quit\r');
    expect(await aliceRun.waitExit()).toBe(0);
    bobRun.type('\u0003'); // Ctrl-C
    expect(await bobRun.waitExit()).toBe(0);
  }, 120000);

  it('shows both messages in `parley chats` with the peer and the last message', () => {
    const chats = spawnSync(process.execPath, [MAIN, 'chats'], {
      env: cliEnv(stack.gateways[0], aliceDir, { COLUMNS: '200' }),
      encoding: 'utf8',
    });
    expect(chats.status).toBe(0);
    expect(chats.stdout).toContain(bob.username);
    expect(chats.stdout).toContain(`${bob.username}: hi alice`);
  });

  it('`/image` sends a photo that bob sees as [image WxH, size] with its caption, and `/save` writes it', async () => {
    const photo = join(aliceDir, 'view.jpg');
    writeFileSync(
      photo,
      await sharp({ create: { width: 800, height: 600, channels: 3, background: '#48a' } })
        .jpeg()
        .withExif({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2/1' } })
        .toBuffer(),
    );
    const { bobRun, aliceRun } = await openChats();
    const caption = `the view ${randomUUID().slice(0, 6)}`;
    aliceRun.type(`/image ${photo} ${caption}\r`);
    const line = new RegExp(`${alice.username}: \\[image 800x600, \\d+ KB\\] ${caption}`);
    await bobRun.waitFor((t) => line.test(t), 'the image line at bob', 60000);
    await aliceRun.waitFor((t) => line.test(t) && t.includes(`${caption} ✓`), 'alice sent mark');

    const saved = join(bobDir, 'saved.webp');
    bobRun.type(`/save ${saved}\r`);
    await bobRun.waitFor((t) => t.includes(`saved [image 800x600`), 'saved');
    const meta = await sharp(readFileSync(saved)).metadata();
    expect([meta.format, meta.width, meta.height, meta.exif]).toEqual([
      'webp',
      800,
      600,
      undefined,
    ]);

    aliceRun.type('/quit\r');
    expect(await aliceRun.waitExit()).toBe(0);
    bobRun.type('/quit\r');
    expect(await bobRun.waitExit()).toBe(0);
  }, 120000);

  it('`parley settings read-receipts off`: bob reads alice’s next message, and she is shown it delivered, not read', async () => {
    const settings = (dir: string, ...args: string[]) =>
      spawnSync(process.execPath, [MAIN, 'settings', ...args], {
        env: cliEnv(stack.gateways[1], dir),
        encoding: 'utf8',
      });
    expect(settings(bobDir).stdout).toBe('read receipts: on\npresence: everyone\n');
    const off = settings(bobDir, 'read-receipts', 'off');
    expect(off.status).toBe(0);
    expect(off.stdout).toContain('read receipts: off');
    expect(settings(bobDir, 'read-receipts', 'maybe').status).not.toBe(0);
    try {
      const { bobRun, aliceRun } = await openChats();
      const text = `unseen ${randomUUID().slice(0, 8)}`;
      aliceRun.type(`${text}\r`);
      await bobRun.waitFor((t) => t.includes(`${alice.username}: ${text}`), 'the message at bob');
      await aliceRun.waitFor((t) => t.includes(`${alice.username}: ${text} ✓✓`), 'delivered');
      // Bob's open chat read it: once his own list says so, the server holds his read...
      for (let i = 0; i < 100; i++) {
        const chats = spawnSync(process.execPath, [MAIN, 'chats'], {
          env: cliEnv(stack.gateways[1], bobDir, { COLUMNS: '200' }),
          encoding: 'utf8',
        });
        if (!chats.stdout.includes('unread')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // ...and alice is told "delivered" only.
      aliceRun.type('/info\r');
      await aliceRun.waitFor(
        (t) => new RegExp(`: delivered to ${bob.username} \\d`).test(t),
        'delivered, not read',
      );
      expect(aliceRun.text).not.toContain(`${text} ✔✔`);
      expect(aliceRun.text).not.toContain(`read by ${bob.username}`);
      aliceRun.type('/quit\r');
      expect(await aliceRun.waitExit()).toBe(0);
      bobRun.type('\u0003');
      expect(await bobRun.waitExit()).toBe(0);
    } finally {
      expect(settings(bobDir, 'read-receipts', 'on').stdout).toBe(
        'read receipts: on\npresence: everyone\n',
      );
    }
  }, 120000);

  it('`parley settings presence contacts`: changes and shows who sees bob online, and the server applies it', async () => {
    const settings = (...args: string[]) =>
      spawnSync(process.execPath, [MAIN, 'settings', ...args], {
        env: cliEnv(stack.gateways[1], bobDir),
        encoding: 'utf8',
      });
    /** Bob's presence as alice (not in bob's contacts) may see it: `GET /v1/presence`. */
    const bobAsAliceSees = async (): Promise<UserPresence | undefined> => {
      const res = await fetch(`${stack.gateways[0]}/v1/presence?userIds=${bob.id}`, {
        headers: { authorization: `Bearer ${alice.accessToken}` },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { users: UserPresence[] }).users[0];
    };
    try {
      const changed = settings('presence', 'contacts');
      expect(changed.stderr).toBe('');
      expect(changed.status).toBe(0);
      expect(changed.stdout).toBe(
        'read receipts: on\npresence: contacts (only your contacts see when you are online and when you were last seen, and you see only your contacts’)\n',
      );
      expect(settings().stdout).toContain('presence: contacts (only your contacts');
      await eventually(
        async () => (await bobAsAliceSees())?.online === null,
        'bob hidden from alice',
      );
      expect(await bobAsAliceSees()).toEqual({ userId: bob.id, online: null, lastSeenAt: null });

      const refused = settings('presence', 'friends');
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(
        'usage: parley settings [read-receipts on|off | presence everyone|contacts|nobody]',
      );
      expect(settings().stdout).toContain('presence: contacts');
    } finally {
      expect(settings('presence', 'everyone').stdout).toBe(
        'read receipts: on\npresence: everyone\n',
      );
    }
    // Everyone again: alice sees whether bob is online.
    await eventually(
      async () => typeof (await bobAsAliceSees())?.online === 'boolean',
      'bob visible to alice again',
    );
  }, 60000);

  it('the chat header says the peer is online, typing… and last seen; `chats` marks it online; typing in the CLI tells the peer', async () => {
    // The peer is a fresh user on the client library (ParleyClient, in the foreground), so no
    // other test's sockets or settings touch its presence.
    const peer = await createAccount(stack.gateways[1], 'pia');
    const chat = new PtyRun(
      `node ${MAIN} chat ${peer.username}`,
      cliEnv(stack.gateways[0], aliceDir),
    );
    runs.push(chat);
    const header = `${alice.username} ↔ ${peer.username}`;
    /** Alice's screen since `from` (an offset in its raw output). */
    const since = (from: number) => strip(chat.output.slice(from));
    await chat.waitFor((t) => t.includes('online via'), 'alice online');
    // Registered and logged in (both move last seen), never connected: the watch's snapshot.
    await chat.waitFor(
      (t) => new RegExp(`${header} · last seen \\d\\d:\\d\\d`).test(t),
      'the peer last seen at registration',
    );
    expect(chat.text).not.toContain(`${header} · online`);

    const device = new SyncDevice(stack.gateways[1], peer, randomUUID());
    try {
      await device.start();
      await waitFor(() => device.sockets.length > 0, 'the peer’s hello');
      // Generous, like the first message above: a fresh stack's consumers may still be joining.
      await chat.waitFor((t) => t.includes(`${header} · online`), 'the peer online, live', 60000);

      const chats = spawnSync(process.execPath, [MAIN, 'chats'], {
        env: cliEnv(stack.gateways[0], aliceDir, { COLUMNS: '200' }),
        encoding: 'utf8',
      });
      expect(chats.status).toBe(0);
      expect(chats.stdout).toContain(`${peer.username} · online  (no messages)`);

      const conversation = (await conversationsOf(stack.gateways[1], peer)).find(
        (c) => c.kind === 'direct',
      );
      if (!conversation) throw new Error('the 1:1 alice opened is not in the peer’s list');
      expect(device.client.typing(conversation.id)).toBe(true);
      await chat.waitFor(
        (t) => t.includes(`${header} · ${peer.username} is typing…`),
        'the peer typing',
      );
      // The signal lapses (TYPING_TTL_MS) without a refresh: back to online.
      const typed = chat.output.length;
      await chat.waitFor(() => since(typed).includes(`${header} · online`), 'typing lapsed');

      // Alice types (no Enter): keystrokes on the input line tell the peer.
      chat.type('hel');
      await waitFor(
        () =>
          device.sockets
            .flat()
            .some(
              (f) =>
                f.type === 'typing' &&
                f.conversationId === conversation.id &&
                f.userId === alice.id,
            ),
        'alice typing, at the peer',
      );
    } finally {
      await device.stop();
    }
    // Gone: once the server's offline grace has passed, last seen (a time today).
    const stopped = chat.output.length;
    await chat.waitFor(
      () => new RegExp(`${header} · last seen \\d\\d:\\d\\d`).test(since(stopped)),
      'the peer last seen',
      60000,
    );
    chat.type('\u0003'); // Ctrl-C
    expect(await chat.waitExit()).toBe(0);
  }, 180000);

  it('`parley sync` syncs until this device agrees with the server, says what it got, and exits 0', async () => {
    const sync = () => {
      const run = spawnSync(process.execPath, [MAIN, 'sync'], {
        env: cliEnv(stack.gateways[1], bobDir),
        encoding: 'utf8',
        timeout: 90_000,
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      return run.stdout;
    };
    // Bob's chat left his state: one conversation, in agreement.
    expect(sync()).toContain(
      'In agreement with the server: 1 conversation (0 new messages, 1 round).',
    );

    // Alice writes three while Bob is away: the next sync brings exactly those.
    const socket = await ParleyTestClient.connect(stack.gateways[0], alice);
    for (const n of [1, 2, 3]) {
      socket.send({ type: 'send', clientMsgId: `away-${n}`, to: bob.username, text: `away ${n}` });
      await socket.next((f) => f.type === 'ack' && f.clientMsgId === `away-${n}`);
    }
    socket.close();
    expect(sync()).toContain('(3 new messages, 3 rounds)'); // the summary, the states, agreement
    expect(sync()).toContain('(0 new messages, 1 round)');

    // The state file holds no message text; a tampered one is reset by the server.
    const statesFile = join(bobDir, `states-${bob.id}.json`);
    expect(statSync(statesFile).mode & 0o777).toBe(0o600);
    const stored = readFileSync(statesFile, 'utf8');
    expect(stored).not.toContain('away 1');
    const parsed = JSON.parse(stored) as {
      conversations: Record<string, { window: { textSha256: string }[] }>;
    };
    for (const c of Object.values(parsed.conversations)) c.window[0].textSha256 = '0'.repeat(64);
    writeFileSync(statesFile, JSON.stringify(parsed));
    expect(sync()).toContain('1 reset from the server');
    expect(sync()).toContain('(0 new messages, 1 round)');
  }, 120000);

  it('`parley group`: alice makes a group and chats in it with sender names and events; bob, not an admin, cannot add', async () => {
    const carol = await createAccount(stack.gateways[0], 'carol');
    const name = `Club ${randomUUID().slice(0, 6)}`;
    const run = (dir: string, ...args: string[]) =>
      spawnSync(process.execPath, [MAIN, 'group', ...args], {
        env: cliEnv(stack.gateways[0], dir),
        encoding: 'utf8',
      });
    const created = run(aliceDir, 'create', name, bob.username);
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain(`Created #${name}`);
    expect(created.status).toBe(0);

    const refused = run(bobDir, 'add', name, carol.username);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('add refused: Only admins can do that (forbidden)');
    expect(run(bobDir, 'list').stdout).toContain(`#${name}  (2 members)`);

    const chat = new PtyRun(
      `node ${MAIN} group chat "${name}"`,
      cliEnv(stack.gateways[1], aliceDir),
    );
    runs.push(chat);
    await chat.waitFor((t) => t.includes('online via'), 'alice online in the group');
    await chat.waitFor((t) => t.includes(`* ${alice.username} created the group`), 'the event');
    chat.type('hello group\r');
    await chat.waitFor((t) => t.includes(`${alice.username}: hello group ✓`), 'the sent mark');
    chat.type('/history all\r');
    await chat.waitFor(
      (t) => t.includes(`* ${alice.username} let new members read the whole history`),
      'the history setting',
    );
    chat.type(`/add ${carol.username}\r`);
    await chat.waitFor((t) => t.includes(`* ${alice.username} added ${carol.username}`), 'added');
    chat.type('/members\r');
    await chat.waitFor((t) => t.includes('3 members:'), 'the members');
    expect(chat.text).toContain(`${alice.username} (admin)`);
    chat.type('/quit\r');
    expect(await chat.waitExit()).toBe(0);

    const joined = run(aliceDir, 'history', name, 'joined');
    expect(joined.stdout).toContain('from now on read from when they join');
    expect(run(bobDir, 'history', name, 'all').stderr).toContain(
      'history refused: Only admins can do that (forbidden)',
    );

    const members = run(bobDir, 'members', name);
    expect(members.stdout.split('\n').filter(Boolean)).toEqual([
      `${alice.username} (admin)`,
      bob.username,
      carol.username,
    ]);
  }, 120000);

  it('`parley channel`: alice makes a public channel and posts; bob finds it, joins and reads it live, but cannot post', async () => {
    const name = `Releases ${randomUUID().slice(0, 6)}`;
    const run = (dir: string, server: string, ...args: string[]) =>
      spawnSync(process.execPath, [MAIN, 'channel', ...args], {
        env: cliEnv(server, dir),
        encoding: 'utf8',
      });
    const created = run(aliceDir, stack.gateways[0], 'create', name);
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain(`Created the public channel !${name}`);

    const listed = run(bobDir, stack.gateways[1], 'list', name.slice(0, 12).toLowerCase());
    expect(listed.stdout).toContain(`!${name}  (1 members)`);
    const joined = run(bobDir, stack.gateways[1], 'join', name);
    expect(joined.stderr).toBe('');
    expect(joined.status).toBe(0);
    expect(run(bobDir, stack.gateways[1], 'list', name).stdout).toContain(
      `!${name}  (2 members, joined)`,
    );

    const bobChat = new PtyRun(
      `node ${MAIN} channel chat "${name}"`,
      cliEnv(stack.gateways[1], bobDir),
    );
    const aliceChat = new PtyRun(
      `node ${MAIN} channel chat "${name}"`,
      cliEnv(stack.gateways[0], aliceDir),
    );
    runs.push(bobChat, aliceChat);
    await bobChat.waitFor((t) => t.includes('online via'), 'bob online in the channel');
    await aliceChat.waitFor((t) => t.includes('online via'), 'alice online in the channel');
    aliceChat.type('v1.0 is out\r');
    await aliceChat.waitFor((t) => t.includes(`${alice.username}: v1.0 is out ✓`), 'sent');
    await bobChat.waitFor((t) => t.includes(`${alice.username}: v1.0 is out`), 'the post, live');
    bobChat.type('can I post?\r');
    await bobChat.waitFor(
      (t) => t.includes('Only admins post in this channel'),
      'the refusal of a member',
    );
    bobChat.type('/quit\r');
    aliceChat.type('/quit\r');
    expect(await bobChat.waitExit()).toBe(0);
    expect(await aliceChat.waitExit()).toBe(0);

    expect(run(bobDir, stack.gateways[1], 'leave', name).stdout).toContain(`You left !${name}`);
    expect(run(aliceDir, stack.gateways[0], 'leave', name).stderr).toContain(
      'leave refused: A channel needs an admin',
    );
  }, 120000);

  it('`/timer 2s`: both headers show the timer, and a message sent after it vanishes from both screens when it expires', async () => {
    const { bobRun, aliceRun } = await openChats();
    /** What the full screen shows now: everything after its last clear. */
    const screen = (run: PtyRun) => strip(run.output.slice(run.output.lastIndexOf('\u001b[2J')));
    aliceRun.type('/timer 2s\r');
    const header = 'messages disappear after 2 seconds';
    await bobRun.waitFor(() => screen(bobRun).includes(header), 'the timer in bob’s header');
    await aliceRun.waitFor(() => screen(aliceRun).includes(header), 'the timer in alice’s header');
    await bobRun.waitFor(
      () => screen(bobRun).includes(`${alice.username} set messages to disappear after 2 seconds`),
      'the timer event',
    );
    const text = `vanishing ${randomUUID().slice(0, 6)}`;
    aliceRun.type(`${text}\r`);
    await bobRun.waitFor(() => screen(bobRun).includes(text), 'the message at bob');
    await bobRun.waitFor(() => !screen(bobRun).includes(text), 'gone from bob’s screen', 15000);
    await aliceRun.waitFor(
      () => !screen(aliceRun).includes(text),
      'gone from alice’s screen',
      15000,
    );
    // The event that set the timer stays.
    expect(screen(bobRun)).toContain('set messages to disappear after 2 seconds');
    aliceRun.type('/timer off\r');
    await bobRun.waitFor(() => !screen(bobRun).includes(header), 'the timer off');
    aliceRun.type('/quit\r');
    expect(await aliceRun.waitExit()).toBe(0);
    bobRun.type('/quit\r');
    expect(await bobRun.waitExit()).toBe(0);
  }, 120000);

  it('`parley logout` in one terminal ends the chat open in another: its socket is closed and it says why', async () => {
    const chatRun = new PtyRun(
      `node ${MAIN} chat ${alice.username}`,
      cliEnv(stack.gateways[1], bobDir),
    );
    runs.push(chatRun);
    await chatRun.waitFor((t) => t.includes('online via'), 'bob online');
    const logout = spawnSync(process.execPath, [MAIN, 'logout'], {
      env: cliEnv(stack.gateways[0], bobDir),
      encoding: 'utf8',
    });
    expect(logout.status).toBe(0);
    await chatRun.waitFor((t) => t.includes('your session ended'), 'the session-ended notice');
    expect(await chatRun.waitExit()).not.toBeNull();
  }, 60000);
});
