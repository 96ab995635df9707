import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import sharp from 'sharp';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  type AckFrame,
  ANNOUNCEMENTS_CHANNEL_ID,
  type ConversationEvent,
  type ConversationView,
  describeEvent,
  type ErrorFrame,
  type GroupChangeRequest,
  type MessageFrame,
  type ReceiptFrame,
  TYPING_TTL_MS,
  type TypingServerFrame,
} from '@parley/protocol';
import {
  conversationsOf,
  createAccount,
  logIn,
  ParleyTestClient,
  postJson,
  requestConnect,
  type TestAccount,
} from '@parley/testing';
import { emptyAnnouncements } from './support/announcements';
import { launchChromium, screenshot } from './support/browser';
import { acked as ackedAnswer, change, send as sendFrame } from './support/frames';
import { TEST_OPERATOR, TEST_PRESENCE_ENV, testStack } from './support/test-stack';
import { upgradesAdded, upgradesByWay } from './support/upgrades';

/**
 * The web client in a real browser (Debian's Chromium driven by playwright-core), against the
 * real stack: each page is served by a gateway from its own origin, and talks to the directory's
 * gateway over its WebSocket like any client.
 */
const stack = testStack();
const [gateway1, gateway2] = stack.gateways;
const PASSWORD = 'correct horse battery staple';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const suffix = () => randomBytes(4).toString('hex');

/** A fresh browser profile (its own cookies, IndexedDB and service worker) on a gateway's page. */
async function openApp(gateway: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  page.on('dialog', (dialog) => {
    throw new Error(`a dialog opened: ${dialog.message()}`);
  });
  await page.goto(gateway);
  return { context, page };
}

async function register(page: Page, username: string, realName = `Web ${username}`) {
  await page.getByRole('tab', { name: 'Register' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.org`);
  await page.getByLabel('Real name').fill(realName);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

async function startChat(page: Page, username: string) {
  await page.getByLabel('Find people').fill(username);
  await page.getByRole('button', { name: 'Search' }).click();
  await page
    .getByRole('list', { name: 'People found' })
    .getByRole('button', { name: username })
    .click();
  await page.getByRole('region', { name: `Conversation with ${username}` }).waitFor();
}

async function openChat(page: Page, username: string) {
  await page
    .getByRole('list', { name: 'Conversations' })
    .getByRole('button', { name: username })
    .click();
  await page.getByRole('region', { name: `Conversation with ${username}` }).waitFor();
}

async function write(page: Page, text: string) {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.keyboard.press('Enter');
}

/** An own message the server stored: sent, or already delivered or read by the other member. */
const STORED =
  'li.message.own:is([data-status="sent"], [data-status="delivered"], [data-status="read"])';

const messages = (page: Page) => page.getByRole('list', { name: 'Messages' }).locator('li.message');

/** The text of every message shown, in order. */
async function texts(page: Page): Promise<string[]> {
  return messages(page).locator('.text').allInnerTexts();
}

/** A message shown in the open conversation (not its preview in the list). */
const shown = (page: Page, text: string) => messages(page).filter({ hasText: text }).waitFor();

/** What every page of `pages` shows: its banner, its messages (status and text), a log-in form. */
function pagesShow(pages: Page[]): Promise<unknown[]> {
  return Promise.all(
    pages.map(async (p) => ({
      banner: await p.locator('.banner').allInnerTexts(),
      messages: await p.evaluate<string[]>(
        "Array.from(document.querySelectorAll('li.message')).map((li) => `${li.dataset.status} ${li.textContent}`)",
      ),
      logIn: await p.getByRole('tab', { name: 'Log in' }).isVisible(),
    })),
  );
}

/** `shown`, and when it times out, what every page of `pages` showed. */
async function shownOr(page: Page, text: string, pages: Page[]): Promise<void> {
  try {
    await shown(page, text);
  } catch (err) {
    const seen = await pagesShow(pages);
    throw new Error(`${text} was not shown; the pages showed ${JSON.stringify(seen)}`, {
      cause: err,
    });
  }
}

/** Waits until `page` shows `count` own messages stored; on a timeout, what every page showed. */
async function storedOr(page: Page, count: number, pages: Page[]): Promise<void> {
  try {
    await page
      .locator(STORED)
      .nth(count - 1)
      .waitFor();
  } catch (err) {
    const seen = await pagesShow(pages);
    throw new Error(
      `${count} stored messages were not shown; the pages showed ${JSON.stringify(seen)}`,
      {
        cause: err,
      },
    );
  }
}

async function online(page: Page) {
  await page.getByText('Offline', { exact: false }).waitFor({ state: 'hidden' });
  await page.locator('.banner').waitFor({ state: 'detached' });
}

/** Presses Tab until the focused element's accessible label starts with `label` (at most 40). */
async function tabTo(page: Page, label: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<string>(
      "document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? ''",
    );
    if (focused.startsWith(label)) return;
  }
  throw new Error(`Tab never reached ${label}`);
}

/** Waits until the page's conversation states (IndexedDB) hold some conversation up to `seq`. */
async function heldInBrowser(page: Page, seq: number): Promise<void> {
  const read = `new Promise((resolve, reject) => {
    const open = indexedDB.open('parley');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const all = open.result.transaction('states').objectStore('states').getAll();
      all.onsuccess = () => resolve(all.result.flatMap((user) => Object.values(user).map((c) => c.lastSeq)));
    };
  })`;
  for (let i = 0; i < 100; i++) {
    const held = await page.evaluate<number[]>(read);
    if (held.some((n) => n >= seq)) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`the browser never held a conversation up to ${seq}`);
}

/** Waits until the server's delivered cursor of `username`'s device reaches `seq`. */
async function deliveredTo(username: string, seq: number): Promise<void> {
  const db = new Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    for (let i = 0; i < 100; i++) {
      const { rows } = await db.query<{ seq: string | null }>(
        `SELECT max(c.delivered_seq) AS seq FROM device_cursors c
           JOIN users u ON u.id = c.user_id WHERE u.username = $1`,
        [username],
      );
      if (Number(rows[0]?.seq ?? 0) >= seq) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${username}'s delivered cursor never reached ${seq}`);
  } finally {
    await db.end();
  }
}

/** Waits until the server's read cursor of `username` in `conversationId` reaches `seq`. */
async function readBy(username: string, conversationId: string, seq: number): Promise<void> {
  const db = new Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    for (let i = 0; i < 100; i++) {
      const { rows } = await db.query<{ seq: string }>(
        `SELECT m.read_seq AS seq FROM conversation_members m
           JOIN users u ON u.id = m.user_id WHERE u.username = $1 AND m.conversation_id = $2`,
        [username, conversationId],
      );
      if (Number(rows[0]?.seq ?? 0) >= seq) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${username}'s read cursor never reached ${seq}`);
  } finally {
    await db.end();
  }
}

/** Polls `read` until it gives `expected` (10 s), then compares once more, for the message. */
async function eventually<T>(read: () => Promise<T>, expected: T): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      expect(await read()).toEqual(expected);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  expect(await read()).toEqual(expected);
}

/** What a test reads of an `<img>` in the page (the tests' TypeScript has no DOM types). */
interface ImageSize {
  width: number;
  height: number;
  naturalWidth: number;
  naturalHeight: number;
}

/** Content-Security-Policy refusals the page reports (an inline style or script would be one). */
function cspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) seen.push(message.text());
  });
  return seen;
}

/** "New group" in the list: a group with these members, opened once the server made it. */
async function createGroup(page: Page, name: string, members: string[], wholeHistory = false) {
  await page.getByRole('button', { name: 'New group' }).click();
  const form = page.getByRole('form', { name: 'New group' });
  await form.getByLabel('Group name').fill(name);
  await form.getByLabel('Members', { exact: true }).fill(members.join(' '));
  if (wholeHistory) await form.getByLabel('New members can read the whole history').check();
  await form.getByRole('button', { name: 'Create group' }).click();
  await page.getByRole('region', { name: `Group ${name}` }).waitFor();
}

async function openGroup(page: Page, name: string) {
  await page
    .getByRole('list', { name: 'Conversations' })
    .getByRole('button', { name: new RegExp(`^${name}(,|$)`) })
    .click();
  await page.getByRole('region', { name: `Group ${name}` }).waitFor();
}

/** The membership events shown in the open conversation, in order. */
const eventLines = (page: Page) =>
  page.getByRole('list', { name: 'Messages' }).locator('li.event .event-text').allInnerTexts();

/** The sender name shown on the message with this text ('' when none is shown). */
async function senderShown(page: Page, text: string): Promise<string> {
  const message = messages(page).filter({ hasText: text });
  await message.waitFor();
  const sender = message.locator('.sender');
  return (await sender.count()) > 0 ? sender.innerText() : '';
}

const groupPanel = (page: Page) => page.getByRole('region', { name: 'Group info' });

/** The members the group panel lists, as "name: role". */
async function membersShown(page: Page): Promise<string[]> {
  const rows = groupPanel(page).getByRole('list', { name: 'Members' }).getByRole('listitem');
  const names = await rows.locator('.who').allInnerTexts();
  const roles = await rows.locator('.role').allInnerTexts();
  return names.map((name, i) => `${name}: ${roles[i]}`);
}

/** A membership event in words, as the server words it (the event's own text). */
function said(actor: string, event: ConversationEvent): string {
  return describeEvent(actor, event);
}

/** The group `name` as `account` lists it (ids of its members, its setting). */
async function listedGroup(account: TestAccount, name: string): Promise<ConversationView> {
  const found = (await conversationsOf(gateway1, account)).find((c) => c.title === name);
  if (!found) throw new Error(`${account.username} does not list ${name}`);
  return found;
}

/** The user `username` as events name them. */
function eventUser(group: ConversationView, username: string) {
  const member = group.members.find((m) => m.username === username);
  if (!member) throw new Error(`${username} is not in ${group.title}`);
  return { id: member.id, username };
}

/** A frame from a library client, answered by its ack (or the error, thrown). */
async function acked(
  client: ParleyTestClient,
  frame: { type: 'send'; conversationId: string; text: string } | GroupFrame,
): Promise<AckFrame> {
  const clientMsgId = randomUUID();
  client.send({ ...frame, clientMsgId });
  const answer = await client.next<AckFrame | ErrorFrame>(
    (f) => (f.type === 'ack' || f.type === 'error') && f.clientMsgId === clientMsgId,
  );
  if (answer.type === 'error') throw new Error(`refused: ${answer.code} ${answer.message}`);
  return answer;
}
type GroupFrame = { type: 'group'; conversationId: string; change: GroupChangeRequest };

describe('the web client', () => {
  it('two people on two gateways register, find each other and chat both ways; marks go pending -> sent; a reload keeps the session', async () => {
    const alice = `wa_${suffix()}`;
    const bob = `wb_${suffix()}`;
    const a = await openApp(gateway1);
    const b = await openApp(gateway2);
    await screenshot(a.page, 'log-in');
    const upgradesBefore = await upgradesByWay(stack.gateways);
    await register(a.page, alice);
    await register(b.page, bob);

    await startChat(a.page, bob);
    await online(a.page);
    // The page opened its socket directly on its gateway, the access token in a subprotocol (or,
    // sent on by a busier gateway's 421, through the directory): no directory round first.
    const added = upgradesAdded(upgradesBefore, await upgradesByWay(stack.gateways));
    expect(added('direct') + added('redirected')).toBeGreaterThanOrEqual(1);
    await write(a.page, 'hello bob, from the browser');
    const sent = messages(a.page).filter({ hasText: 'hello bob' });
    await expect(sent.getAttribute('data-status')).resolves.toMatch(/^(pending|sent)$/);
    await a.page.locator(STORED, { hasText: 'hello bob' }).waitFor();

    // Bob sees the conversation appear with an unread badge, opens it, answers.
    await b.page.getByRole('button', { name: `${alice}, 1 unread` }).waitFor();
    await screenshot(b.page, 'conversation-list');
    await openChat(b.page, alice);
    await shown(b.page, 'hello bob, from the browser');
    await write(b.page, 'hi alice, got it: see https://example.org/docs.');
    await b.page.locator(STORED).waitFor();
    await shown(a.page, 'hi alice, got it');
    const link = a.page.getByRole('link', { name: 'https://example.org/docs' });
    await expect(link.getAttribute('rel')).resolves.toContain('noopener');
    await screenshot(a.page, 'conversation');

    // The session survives a reload: the refresh token is in an HttpOnly cookie, not in script.
    await a.page.reload();
    await a.page.getByRole('button', { name: 'Log out' }).waitFor();
    const cookie = (await a.context.cookies()).find((c) => c.name === 'parley_refresh');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/v1/auth/web' });
    expect(await a.page.evaluate<string>('document.cookie')).not.toContain('parley_refresh');
    await openChat(a.page, bob);
    // The history page fills the chat after it opens (a busy machine shows the last message,
    // known from the list, a moment before it): read the texts once both are there.
    await shown(a.page, 'hello bob, from the browser');
    await shown(a.page, 'hi alice, got it');
    expect(await texts(a.page)).toEqual([
      'hello bob, from the browser',
      'hi alice, got it: see https://example.org/docs.',
    ]);

    // Log out ends it: the next reload asks to log in.
    await a.page.getByRole('button', { name: 'Log out' }).click();
    await a.page.getByRole('tab', { name: 'Log in' }).waitFor();
    await a.page.reload();
    await a.page.getByRole('tab', { name: 'Log in' }).waitFor();
    await a.context.close();
    await b.context.close();
  });

  it('sends a picked image with its caption: the other side sees the placeholder box, then the thumbnail, and opens the full size; an SVG is refused', async () => {
    const alice = `wi_${suffix()}`;
    const bob = `wj_${suffix()}`;
    const a = await openApp(gateway1);
    const b = await openApp(gateway2);
    const violations = [a.page, b.page].map(cspViolations);
    await register(a.page, alice);
    await register(b.page, bob);
    await startChat(a.page, bob);
    await online(a.page);

    const photo = await sharp({
      create: { width: 1200, height: 800, channels: 3, background: '#2a6' },
    })
      .jpeg()
      .toBuffer();
    await a.page.getByLabel('Message', { exact: true }).fill('our garden');
    await a.page
      .getByLabel('Send an image')
      .setInputFiles({ name: 'garden.jpg', mimeType: 'image/jpeg', buffer: photo });
    await a.page.locator(STORED, { hasText: 'our garden' }).waitFor();
    await expect(a.page.getByLabel('Message', { exact: true }).inputValue()).resolves.toBe('');

    await b.page.getByRole('button', { name: `${alice}, 1 unread` }).waitFor();
    await openChat(b.page, alice);
    const image = messages(b.page).filter({ hasText: 'our garden' }).getByRole('img');
    await expect(image.getAttribute('alt')).resolves.toBe('image 1200×800');
    // The box has the image's shape from the start; the thumbnail replaces the placeholder.
    await b.page.locator('img[data-loaded="thumb"]').waitFor();
    const box = await image.evaluate((img: ImageSize) => [
      img.width,
      img.height,
      img.naturalWidth > 0,
    ]);
    expect(box).toEqual([240, 160, true]);
    await screenshot(b.page, 'image-message');

    await b.page.getByRole('button', { name: 'Open image 1200×800' }).click();
    const viewer = b.page.getByRole('dialog', { name: 'image 1200×800' });
    await viewer.getByRole('img').waitFor();
    const natural = await viewer
      .getByRole('img')
      .evaluate((img: ImageSize) => [img.naturalWidth, img.naturalHeight]);
    expect(natural).toEqual([1200, 800]);
    await viewer.getByRole('button', { name: 'Close' }).click();
    await viewer.waitFor({ state: 'detached' });

    // Not an image by its bytes: refused in the page, nothing sent.
    await a.page.getByLabel('Send an image').setInputFiles({
      name: 'logo.png',
      mimeType: 'image/png',
      buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
    });
    await a.page
      .getByRole('alert')
      .filter({ hasText: 'Not sent: only JPEG, PNG and WebP images can be sent' })
      .waitFor();
    expect(await messages(a.page).count()).toBe(1);
    expect(violations.flat()).toEqual([]);
    await a.context.close();
    await b.context.close();
  });

  it('shows an image upload as a progress bar from 0 to the file size, then "Processing the image…", and takes it away once the image is sent', async () => {
    const alice = `wu_${suffix()}`;
    const a = await openApp(gateway1);
    const violations = cspViolations(a.page);
    try {
      await register(a.page, alice);
      const bob = await createAccount(gateway2, 'wub');
      await startChat(a.page, bob.username);
      await online(a.page);

      // Noise compresses badly: a JPEG of about 1.3 MB (the test stack's cap is 2 MB), so the
      // body goes up in many pieces.
      const [width, height] = [1600, 1000];
      const photo = await sharp(randomBytes(width * height * 3), {
        raw: { width, height, channels: 3 },
      })
        .jpeg({ quality: 90 })
        .toBuffer();
      expect(photo.length).toBeGreaterThan(1024 * 1024);
      expect(photo.length).toBeLessThan(2 * 1024 * 1024);

      // Everything the bar shows (value, max, the words beside it), recorded in the page from
      // before the file is picked; `null` once it is gone.
      await a.page.evaluate(`(() => {
        const seen = (window.__uploadSeen = []);
        let last = 'none';
        new MutationObserver(() => {
          const bar = document.querySelector('[data-testid=upload-progress]');
          const now = bar
            ? { value: bar.value, max: bar.max, text: bar.nextElementSibling?.textContent ?? '' }
            : null;
          const key = now ? JSON.stringify(now) : 'none';
          if (key === last) return;
          last = key;
          seen.push(now);
        }).observe(document.body, {
          subtree: true,
          childList: true,
          characterData: true,
          attributes: true,
          attributeFilter: ['value', 'max'],
        });
      })()`);

      await a.page.getByLabel('Message', { exact: true }).fill('static');
      await a.page
        .getByLabel('Send an image')
        .setInputFiles({ name: 'noise.jpg', mimeType: 'image/jpeg', buffer: photo });
      await a.page.locator(STORED, { hasText: 'static' }).waitFor();
      await a.page.locator('[data-testid=upload-progress]').waitFor({ state: 'detached' });

      type Shown = { value: number; max: number; text: string } | null;
      const seen = await a.page.evaluate<Shown[]>('window.__uploadSeen');
      const bars = seen.filter((s): s is NonNullable<Shown> => s !== null);
      expect(bars[0]).toEqual({ value: 0, max: photo.length, text: 'Uploading the image… 0%' });
      expect(bars.at(-1)).toEqual({
        value: photo.length,
        max: photo.length,
        text: 'Processing the image…',
      });
      expect(bars.every((b) => b.max === photo.length)).toBe(true);
      const values = bars.map((b) => b.value);
      expect(values).toEqual([...values].sort((x, y) => x - y));
      // It came once, and went once the image was sent.
      expect(seen.indexOf(null)).toBe(seen.length - 1);
      expect(violations).toEqual([]);
    } finally {
      await a.context.close();
    }
  });

  it('sets disappearing messages in the header: both sides see the timer and its event; under a short timer a message vanishes from both pages', async () => {
    const alice = `wd_${suffix()}`;
    const bob = `we_${suffix()}`;
    const a = await openApp(gateway1);
    const b = await openApp(gateway2);
    await register(a.page, alice);
    await register(b.page, bob);
    await startChat(a.page, bob);
    await online(a.page);
    await write(a.page, 'this one stays');
    await b.page.getByRole('button', { name: `${alice}, 1 unread` }).waitFor();
    await openChat(b.page, alice);
    await shown(b.page, 'this one stays');

    await a.page.getByLabel('Disappearing messages').selectOption('300');
    const events = (page: Page) => page.getByRole('list', { name: 'Messages' });
    await events(b.page).getByText(`${alice} set messages to disappear after 5 minutes`).waitFor();
    await eventually(() => b.page.getByLabel('Disappearing messages').inputValue(), '300');
    await screenshot(b.page, 'disappearing');

    // The test stack also offers 2 seconds (the page offers the usual timers): bob's other device
    // sets it.
    const tokens = await logIn(gateway2, bob, PASSWORD);
    const conversation = (await conversationsOf(gateway2, tokens)).find((c) => c.kind === 'direct');
    if (!conversation) throw new Error('no 1:1 conversation listed');
    const device = await ParleyTestClient.connect(gateway2, tokens);
    try {
      await ackedAnswer(change(device, { op: 'timer', seconds: 2 }, conversation.id));
    } finally {
      device.close();
    }
    await events(a.page).getByText(`${bob} set messages to disappear after 2 seconds`).waitFor();
    await write(a.page, 'this one vanishes');
    await shown(b.page, 'this one vanishes');
    for (const page of [a.page, b.page]) {
      await messages(page)
        .filter({ hasText: 'this one vanishes' })
        .waitFor({ state: 'detached', timeout: 15_000 });
      expect(await texts(page)).toContain('this one stays');
    }
    await a.context.close();
    await b.context.close();
  });

  it('shows a sent message go delivered, then read, live and after a reload (the other side on another gateway)', async () => {
    const alice = `wr_${suffix()}`;
    const a = await openApp(gateway1);
    await register(a.page, alice);
    const bob = await createAccount(gateway2, 'wrb');
    const b = await ParleyTestClient.connect(gateway2, bob);
    try {
      await startChat(a.page, bob.username);
      await online(a.page);
      await write(a.page, 'did you get this?');
      const mark = a.page
        .locator('li.message.own', { hasText: 'did you get this?' })
        .locator('.mark');
      const status = (s: string) =>
        a.page
          .locator(`li.message.own[data-status="${s}"]`, { hasText: 'did you get this?' })
          .waitFor();
      // Bob's device reports nothing yet: stored, one tick.
      await status('sent');
      await expect(mark.getAttribute('aria-label')).resolves.toBe('sent');
      const pushed = await b.next((f) => f.type === 'message');
      if (pushed.type !== 'message') throw new Error('not a message');
      const { conversationId, seq } = pushed.message;

      b.send({ type: 'delivered', conversationId, seq });
      await status('delivered');
      await expect(mark.innerText()).resolves.toBe('✓✓');
      b.send({ type: 'read', conversationId, seq });
      await status('read');
      await expect(mark.getAttribute('aria-label')).resolves.toBe('read');
      await screenshot(a.page, 'read-receipt');

      // After a reload the mark comes back from the conversation list, not from a push.
      await a.page.reload();
      await openChat(a.page, bob.username);
      await status('read');
    } finally {
      b.close();
      await a.context.close();
    }
  });

  it('turns read receipts off in Settings: her read marks go, and what she reads shows delivered only; kept across a reload', async () => {
    const alice = `wz_${suffix()}`;
    const a = await openApp(gateway1);
    await register(a.page, alice);
    const bob = await createAccount(gateway2, 'wzb');
    const b = await ParleyTestClient.connect(gateway2, bob);
    try {
      await startChat(a.page, bob.username);
      await online(a.page);
      await write(a.page, 'read me');
      const status = (s: string) =>
        a.page.locator(`li.message.own[data-status="${s}"]`, { hasText: 'read me' }).waitFor();
      const pushed = await b.next((f) => f.type === 'message');
      if (pushed.type !== 'message') throw new Error('not a message');
      const { conversationId, seq } = pushed.message;
      b.send({ type: 'read', conversationId, seq });
      await status('read');

      const settings = a.page.getByRole('region', { name: 'Settings' });
      const readReceipts = settings.getByLabel('Read receipts');
      await settings.getByRole('button', { name: 'Settings' }).click();
      await expect(readReceipts.isChecked()).resolves.toBe(true);
      await readReceipts.uncheck();
      await settings.getByText('Off: others see only').waitFor();
      // She sees nobody's read state: her message is delivered, no more.
      await status('delivered');
      await screenshot(a.page, 'read-receipts-off');

      // What she reads, bob is told was delivered only.
      const answer = await ackedAnswer(sendFrame(b, conversationId, 'did you read it?'));
      await messages(a.page).filter({ hasText: 'did you read it?' }).waitFor();
      const receipt = await b.next<ReceiptFrame>(
        (f) => f.type === 'receipt' && f.userId !== bob.id && f.deliveredSeq >= answer.seq,
      );
      expect(receipt.readSeq).toBe(0);
      await readBy(alice, conversationId, answer.seq); // she did read it...
      const hers = async () =>
        (await conversationsOf(gateway2, bob))
          .find((c) => c.id === conversationId)
          ?.members.find((m) => m.username === alice);
      expect(await hers()).toMatchObject({ deliveredSeq: answer.seq, readSeq: 0 }); // ...unshown

      // Kept: after a reload the setting and the marks are the same.
      await a.page.reload();
      await openChat(a.page, bob.username);
      await status('delivered');
      await settings.getByRole('button', { name: 'Settings' }).click();
      await expect(readReceipts.isChecked()).resolves.toBe(false);
      await readReceipts.check();
      await status('read');
      expect(await hers()).toMatchObject({ readSeq: answer.seq });
    } finally {
      b.close();
      await a.context.close();
    }
  });

  it('keeps messages written offline in IndexedDB across a reload and sends them once, in order, when back online', async () => {
    const alice = `wa_${suffix()}`;
    const bob = `wb_${suffix()}`;
    const a = await openApp(gateway1);
    const b = await openApp(gateway2);
    await register(a.page, alice);
    await register(b.page, bob);
    await startChat(b.page, alice);
    await online(b.page);
    await write(b.page, 'before going offline');
    await b.page.locator(STORED).waitFor();
    // The app shell must be cached for a reload without network.
    await b.page.evaluate('navigator.serviceWorker.ready.then(() => true)');

    await b.context.setOffline(true);
    await b.page.getByText('Offline: messages you write are kept').waitFor();
    await screenshot(b.page, 'offline');
    for (const n of [1, 2, 3]) await write(b.page, `offline ${n}`);
    await expect(b.page.locator('li.message.own[data-status="pending"]').count()).resolves.toBe(3);
    // The outbox is written to IndexedDB as each message is (one transaction each), and the list
    // a moment after it changes: a reload within milliseconds could abort those writes, so the test
    // reloads once all three messages and the chat with alice are in.
    await b.page.waitForFunction(`new Promise((resolve) => {
      const open = indexedDB.open('parley');
      open.onerror = () => resolve(false);
      open.onsuccess = () => {
        const read = open.result.transaction(['outbox', 'cache']);
        const boxes = read.objectStore('outbox').getAll();
        const lists = read.objectStore('cache').getAll();
        read.oncomplete = () => resolve(
          boxes.result.some((box) => Array.isArray(box) && box.length === 3) &&
          lists.result.some((list) => Array.isArray(list) && list.some(
            (c) => c.members.some((m) => m.username === ${JSON.stringify(alice)}))),
        );
        read.onerror = () => resolve(false);
      };
    })`);

    await b.page.reload();
    await openChat(b.page, alice);
    await b.page.locator('li.message.own[data-status="pending"]').nth(2).waitFor();
    expect(
      await b.page.locator('li.message.own[data-status="pending"] .text').allInnerTexts(),
    ).toEqual(['offline 1', 'offline 2', 'offline 3']);

    await b.context.setOffline(false);
    // Every message written offline is sent (acked), not only the first: the page shows all four
    // as stored (a page that lost its conversation shows no pending mark either).
    await storedOr(b.page, 4, [a.page, b.page]);
    expect(await b.page.locator('li.message.own[data-status="pending"]').count()).toBe(0);
    await openChat(a.page, bob);
    await shownOr(a.page, 'offline 3', [a.page, b.page]);
    expect(await texts(a.page)).toEqual([
      'before going offline',
      'offline 1',
      'offline 2',
      'offline 3',
    ]);
    await a.context.close();
    await b.context.close();
  }, 90_000);

  it('shows markup in a message and in a real name as text, and runs none of it', async () => {
    const alice = `wa_${suffix()}`;
    const mallory = `wm_${suffix()}`;
    const payload = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const a = await openApp(gateway1);
    const m = await openApp(gateway2);
    await register(a.page, alice);
    await register(m.page, mallory, `<b onmouseover="window.__pwned=3">Mallory</b>`);
    await startChat(m.page, alice);
    await write(m.page, payload);
    await m.page.locator(STORED).waitFor();

    await a.page.getByLabel('Find people').fill(mallory);
    await a.page.getByRole('button', { name: 'Search' }).click();
    await a.page.getByText('<b onmouseover="window.__pwned=3">Mallory</b>').waitFor();
    await openChat(a.page, mallory);
    const shown = messages(a.page).filter({ hasText: payload });
    await shown.waitFor();
    await shown.hover();
    await a.page.getByRole('list', { name: 'People found' }).getByText('Mallory').hover();
    expect(await a.page.evaluate<unknown>('window.__pwned')).toBeUndefined();
    expect(await a.page.locator('.messages img, .messages script, .results b').count()).toBe(0);
    await a.context.close();
    await m.context.close();
  });

  it('is served with a Content-Security-Policy that allows no inline script, and refuses a WebSocket from a foreign page', async () => {
    const page = await browser.newPage();
    const response = await page.goto(gateway1);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await page.locator('script:not([src])').count()).toBe(0);

    // A page of another origin (the same gateway under another host name) holding a valid ticket.
    const account = await createAccount(gateway1, 'fo');
    const answer = await requestConnect(gateway1, account);
    const foreign = gateway1.replace('127.0.0.1', 'localhost');
    await page.goto(`${foreign}/health/live`);
    const outcome = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const socket = new WebSocket(url);
          socket.onopen = () => resolve('open');
          socket.onerror = () => resolve('refused');
        }),
      `${answer.body.url}?ticket=${answer.body.ticket}`,
    );
    expect(outcome).toBe('refused');
    // Nor with the access token itself, offered as the bearer subprotocol.
    const direct = await page.evaluate(
      ([url, token]) =>
        new Promise<string>((resolve) => {
          const socket = new WebSocket(url, ['parley', `parley.bearer.${token}`]);
          socket.onopen = () => resolve('open');
          socket.onerror = () => resolve('refused');
        }),
      [answer.body.url, account.accessToken] as const,
    );
    expect(direct).toBe('refused');
    await page.close();
  });

  it('fits a phone: the list, then the conversation with a way back', async () => {
    const alice = `wa_${suffix()}`;
    const context = await browser.newContext({
      viewport: { width: 390, height: 780 },
      isMobile: true,
    });
    const page = await context.newPage();
    await page.goto(gateway2);
    await register(page, alice);
    const b = await createAccount(gateway1, 'wp');
    await startChat(page, b.username);
    await expect(page.getByRole('navigation', { name: 'Chats' }).isVisible()).resolves.toBe(false);
    await page.getByText('No messages yet').waitFor();
    await write(page, 'hello from a phone');
    await page.locator(STORED).waitFor();
    await expect(page.getByText('No messages yet').count()).resolves.toBe(0);
    await screenshot(page, 'phone-conversation');
    await page.getByRole('button', { name: 'Back to conversations' }).click();
    await expect(page.getByRole('navigation', { name: 'Chats' }).isVisible()).resolves.toBe(true);
    await context.close();
  });

  it('works from the keyboard alone: opens a chat, writes, and pages back through older messages with a day separator', async () => {
    const reader = `wk_${suffix()}`;
    const { context, page } = await openApp(gateway1);
    await register(page, reader);
    // 45 messages from someone else, before the reader opens the chat: more than one page.
    const sender = await createAccount(gateway2, 'wk');
    const socket = await ParleyTestClient.connect(gateway2, sender, 'seeder');
    const texts45 = Array.from({ length: 45 }, (_, i) => `old ${String(i + 1).padStart(2, '0')}`);
    for (const [i, text] of texts45.entries()) {
      socket.send({ type: 'send', clientMsgId: `seed-${i}`, to: reader, text });
      // The first send makes the conversation; the rest follow it.
      if (i === 0) await socket.next((f) => f.type === 'ack');
    }
    for (let i = 1; i < texts45.length; i++) await socket.next((f) => f.type === 'ack');
    socket.close();
    await page
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button', { name: `${sender.username}, 45 unread` })
      .waitFor();
    // This browser has had all 45 live. Once its conversation state is saved (IndexedDB) and the
    // server holds its delivered cursor, a reload syncs nothing (the states agree) and starts with
    // an empty timeline: opening the chat loads the newest page only.
    await heldInBrowser(page, 45);
    await deliveredTo(reader, 45);
    await page.reload();
    // The list is drawn from the saved state once the app has started; tab only once it is there
    // (a user sees it before reaching for the keyboard).
    await page
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button', { name: `${sender.username}, 45 unread` })
      .waitFor();
    await page.locator('body').focus();
    await tabTo(page, `${sender.username}, 45 unread`);
    await page.keyboard.press('Enter');
    await page.getByRole('region', { name: `Conversation with ${sender.username}` }).waitFor();
    await shown(page, 'old 45');
    // The first page only: the oldest are not there yet.
    expect(await texts(page)).not.toContain('old 01');
    // The composer has the focus: type and send with the keyboard.
    await page.keyboard.type('typed without a mouse');
    await page.keyboard.press('Enter');
    await page.locator(STORED).waitFor();

    // Back to the message list (Shift+Tab from the composer) and to its top, until the oldest
    // page is in.
    await page.getByLabel('Message', { exact: true }).focus();
    await page.keyboard.press('Shift+Tab');
    for (let i = 0; i < 10 && !(await texts(page)).includes('old 01'); i++) {
      await page.keyboard.press('Home');
      await page.waitForTimeout(200);
    }
    expect(await texts(page)).toEqual([...texts45, 'typed without a mouse']);
    await expect(page.getByRole('separator').allInnerTexts()).resolves.toEqual(['Today']);
    await screenshot(page, 'older-pages');
    await context.close();
  });

  it('is one device across tabs: a second tab takes the connection, the first offers "Use here" and takes it back', async () => {
    const { context, page: first } = await openApp(gateway1);
    await register(first, `wt_${suffix()}`);
    await online(first);
    const second = await context.newPage();
    await second.goto(gateway1);
    // The cookie resumes the session in the new tab; its socket replaces the first tab's (4003).
    await second.getByRole('button', { name: 'Log out' }).waitFor();
    await first.getByText('Parley is open in another window').waitFor();
    await online(second);
    await first.getByRole('button', { name: 'Use here' }).click();
    await online(first);
    await second.getByText('Parley is open in another window').waitFor();
    await context.close();
  });
});

describe('the web client: groups', () => {
  it('creates a group in the browser: another member sees it with its "created" line, and messages show their senders\' names', async () => {
    const alice = `ga_${suffix()}`;
    const bob = `gb_${suffix()}`;
    const a = await openApp(gateway1);
    const b = await openApp(gateway2);
    const refused = [cspViolations(a.page), cspViolations(b.page)];
    await register(a.page, alice);
    await register(b.page, bob);
    const carol = await createAccount(gateway2, 'gc');
    const c = await ParleyTestClient.connect(gateway2, carol);
    try {
      await online(a.page);
      await createGroup(a.page, 'Book club', [bob, carol.username]);
      const group = await listedGroup(carol, 'Book club');
      expect(group.members.map((m) => `${m.username}: ${m.role}`)).toEqual([
        `${alice}: admin`,
        `${bob}: member`,
        `${carol.username}: member`,
      ]);
      const created = said(alice, {
        type: 'created',
        name: 'Book club',
        members: [eventUser(group, bob), eventUser(group, carol.username)],
        history: 'joined',
      });
      // The creator's page: the group open, its name in the header, the event as a line.
      await eventually(() => eventLines(a.page), [created]);
      await expect(a.page.getByRole('heading', { level: 2 }).innerText()).resolves.toBe(
        'Book club',
      );
      await a.page.getByText('3 members').waitFor();

      // Bob's page lists the group by its name; opened, it shows the same line, not a bubble.
      await openGroup(b.page, 'Book club');
      await eventually(() => eventLines(b.page), [created]);
      expect(await messages(b.page).count()).toBe(0);
      const pushed = await c.next<MessageFrame>(
        (f) => f.type === 'message' && f.message.event?.type === 'created',
      );
      expect(pushed.message.text).toBe(created);

      // Everyone writes: the others' messages carry their sender's name, one's own none.
      await acked(c, { type: 'send', conversationId: group.id, text: 'carol here' });
      await write(a.page, 'hello group, alice here');
      await a.page.locator(STORED, { hasText: 'hello group' }).waitFor();
      await write(b.page, 'bob here');
      await b.page.locator(STORED, { hasText: 'bob here' }).waitFor();
      expect(await senderShown(b.page, 'hello group, alice here')).toBe(alice);
      expect(await senderShown(b.page, 'carol here')).toBe(carol.username);
      expect(await senderShown(b.page, 'bob here')).toBe('');
      expect(await senderShown(a.page, 'bob here')).toBe(bob);
      expect(await senderShown(a.page, 'carol here')).toBe(carol.username);
      await screenshot(b.page, 'group-conversation');
      expect(refused.flat()).toEqual([]);
    } finally {
      c.close();
      await a.context.close();
      await b.context.close();
    }
  });

  it('lets an admin add, remove, promote, rename, set the history and disappearing messages, and leave in the group panel; the panel and the header follow live; a removed member can no longer write', async () => {
    const alice = `ga_${suffix()}`;
    const carol = `gc_${suffix()}`;
    const a = await openApp(gateway1);
    const c = await openApp(gateway2);
    const refused = [cspViolations(a.page), cspViolations(c.page)];
    await register(a.page, alice);
    await register(c.page, carol);
    const bob = await createAccount(gateway1, 'gb');
    const dave = await createAccount(gateway2, 'gd');
    const b = await ParleyTestClient.connect(gateway1, bob);
    try {
      await online(a.page);
      await createGroup(a.page, 'Readers', [bob.username, carol]);
      const group = await listedGroup(bob, 'Readers');
      const member = (username: string) => eventUser(group, username);
      await openGroup(c.page, 'Readers');

      await a.page.getByRole('button', { name: 'Group info' }).click();
      const panel = groupPanel(a.page);
      await eventually(
        () => membersShown(a.page),
        [`${alice} (you): admin`, `${bob.username}: member`, `${carol}: member`],
      );

      // Refusals in words: a username nobody has, and someone already in the group.
      const add = panel.getByRole('form', { name: 'Add members' });
      await add.getByLabel('Add members').fill(`nobody_${suffix()}`);
      await add.getByRole('button', { name: 'Add' }).click();
      await panel.getByRole('alert').getByText('No such user: check the usernames.').waitFor();
      await add.getByLabel('Add members').fill(bob.username);
      await add.getByRole('button', { name: 'Add' }).click();
      await panel
        .getByRole('alert')
        .getByText('Nothing changed: Everyone named is already a member.')
        .waitFor();

      // Add dave, remove carol, make bob an admin: the list follows each event.
      await add.getByLabel('Add members').fill(dave.username);
      await add.getByRole('button', { name: 'Add' }).click();
      await panel.getByRole('status').getByText(`Added ${dave.username}.`).waitFor();
      await eventually(
        () => membersShown(a.page),
        [
          `${alice} (you): admin`,
          `${bob.username}: member`,
          `${carol}: member`,
          `${dave.username}: member`,
        ],
      );
      await panel.getByRole('button', { name: `Remove ${carol}` }).click();
      await eventually(
        () => membersShown(a.page),
        [`${alice} (you): admin`, `${bob.username}: member`, `${dave.username}: member`],
      );
      await panel.getByRole('button', { name: `Make ${bob.username} an admin` }).click();
      await eventually(
        () => membersShown(a.page),
        [`${alice} (you): admin`, `${bob.username}: admin`, `${dave.username}: member`],
      );

      // Carol's page: the removal as a line, and no way to write any more, said in words.
      const removed = said(alice, { type: 'removed', members: [member(carol)] });
      await eventually(() => eventLines(c.page).then((lines) => lines.at(-1)), removed);
      await c.page
        .getByRole('status')
        .getByText('You are no longer a member of this group', { exact: false })
        .waitFor();
      expect(await c.page.getByLabel('Message', { exact: true }).count()).toBe(0);
      await screenshot(c.page, 'group-removed');

      // Renamed here, then by bob (now an admin) from another client: the header follows both.
      const rename = panel.getByRole('form', { name: 'Rename' });
      await rename.getByLabel('Group name').fill('Night readers');
      await rename.getByRole('button', { name: 'Rename' }).click();
      await a.page.getByRole('region', { name: 'Group Night readers' }).waitFor();
      await acked(b, {
        type: 'group',
        conversationId: group.id,
        change: { op: 'rename', name: 'Owls' },
      });
      await eventually(() => a.page.getByRole('heading', { level: 2 }).innerText(), 'Owls');
      // The field follows the title after the render that shows it (an effect): wait for it too.
      await eventually(() => rename.getByLabel('Group name').inputValue(), 'Owls');
      await a.page
        .getByRole('list', { name: 'Conversations' })
        .getByRole('button', { name: /^Owls/ })
        .waitFor();

      // The history setting: members added from now on read everything.
      const history = panel.getByRole('form', { name: 'History' });
      await expect(history.getByLabel('From when they join').isChecked()).resolves.toBe(true);
      await history.getByLabel('The whole history').check();
      await history.getByRole('button', { name: 'Save' }).click();
      await panel.getByText('New members now read the whole history.').waitFor();
      expect((await listedGroup(bob, 'Owls')).history).toBe('all');

      // Disappearing messages, set from the panel: the header's choice follows.
      await panel.getByLabel('Disappearing messages in this group').selectOption('300');
      await eventually(
        () =>
          a.page.getByRole('combobox', { name: 'Disappearing messages', exact: true }).inputValue(),
        '300',
      );
      expect((await listedGroup(bob, 'Owls')).timer).toBe(300);
      await screenshot(a.page, 'group-info');

      // Back in the conversation, every change is a line, in order.
      await panel.getByRole('button', { name: 'Back to messages' }).click();
      await eventually(
        () => eventLines(a.page),
        [
          said(alice, {
            type: 'created',
            name: 'Readers',
            members: [member(bob.username), member(carol)],
            history: 'joined',
          }),
          said(alice, { type: 'added', members: [{ id: dave.id, username: dave.username }] }),
          removed,
          said(alice, { type: 'promoted', members: [member(bob.username)] }),
          said(alice, { type: 'renamed', name: 'Night readers' }),
          said(bob.username, { type: 'renamed', name: 'Owls' }),
          said(alice, { type: 'history', history: 'all' }),
          said(alice, { type: 'timer', seconds: 300 }),
        ],
      );

      // Alice leaves (bob is an admin too): her page keeps the group, read-only.
      await a.page.getByRole('button', { name: 'Group info' }).click();
      await panel.getByRole('button', { name: 'Leave group' }).click();
      await panel
        .getByRole('group', { name: 'Leave the group' })
        .getByRole('button', { name: 'Leave' })
        .click();
      await panel.getByRole('status').getByText('You left the group.').waitFor();
      await panel.getByText('You are no longer a member of this group.').waitFor();
      await eventually(
        () => membersShown(a.page),
        [`${bob.username}: admin`, `${dave.username}: member`],
      );
      expect(await panel.getByRole('form').count()).toBe(0);
      await b.next<MessageFrame>((f) => f.type === 'message' && f.message.event?.type === 'left');

      // Nothing carol's page did since was refused (it sends no read for a group it left).
      expect(await c.page.getByRole('alert').allInnerTexts()).toEqual([]);
      expect(refused.flat()).toEqual([]);
    } finally {
      b.close();
      await a.context.close();
      await c.context.close();
    }
  }, 90_000);

  it('shows who has read an own group message, and when: bob, once his page read it (from the keyboard)', async () => {
    const alice = `ga_${suffix()}`;
    const bob = `gb_${suffix()}`;
    const a = await openApp(gateway1);
    const b = await openApp(gateway2);
    await register(a.page, alice);
    await register(b.page, bob);
    const carol = await createAccount(gateway1, 'gc');
    try {
      await online(a.page);
      await createGroup(a.page, 'Receipts club', [bob, carol.username]);
      await write(a.page, 'who reads this?');
      const mine = a.page.locator(STORED, { hasText: 'who reads this?' });
      await mine.waitFor();

      const info = mine.getByRole('button', { name: 'Info: who has read "who reads this?"' });
      await info.focus();
      await a.page.keyboard.press('Enter');
      const view = a.page.getByRole('region', { name: 'Message info' });
      const state = (username: string) =>
        view
          .getByRole('list', { name: 'Receipts' })
          .getByRole('listitem')
          .filter({ hasText: username })
          .locator('.role');
      // Carol has no device: nothing delivered. Bob has not opened the group.
      await eventually(() => state(carol.username).innerText(), 'not delivered yet');
      await expect(state(bob).innerText()).resolves.not.toMatch(/^read/);

      const before = Date.now();
      await openGroup(b.page, 'Receipts club');
      await shown(b.page, 'who reads this?');
      // The open view follows bob's read cursor: read, with the server's time of it.
      await eventually(async () => (await state(bob).innerText()).startsWith('read '), true);
      const readAt = new Date((await state(bob).locator('time').getAttribute('datetime')) ?? '');
      expect(readAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(readAt.getTime()).toBeLessThanOrEqual(Date.now());
      const hhmm = (d: Date) =>
        `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
      await expect(state(bob).innerText()).resolves.toBe(`read ${hhmm(readAt)}`);
      await expect(state(carol.username).innerText()).resolves.toBe('not delivered yet');
      await screenshot(a.page, 'message-info');

      // Escape closes it and gives the focus back to the message's Info button.
      await a.page.keyboard.press('Escape');
      await view.waitFor({ state: 'detached' });
      await eventually(
        () => a.page.evaluate<string>("document.activeElement?.getAttribute('aria-label') ?? ''"),
        'Info: who has read "who reads this?"',
      );
    } finally {
      await a.context.close();
      await b.context.close();
    }
  });

  it('fits a phone: the new group form, the group, and its info panel', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 780 },
      isMobile: true,
    });
    const page = await context.newPage();
    await page.goto(gateway2);
    await register(page, `gp_${suffix()}`);
    const b = await createAccount(gateway1, 'gp');
    await createGroup(page, 'Pocket group', [b.username]);
    await expect(page.getByRole('navigation', { name: 'Chats' }).isVisible()).resolves.toBe(false);
    await page.getByRole('button', { name: 'Group info' }).click();
    await groupPanel(page)
      .getByRole('button', { name: `Remove ${b.username}` })
      .waitFor();
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'phone-group-info');
    await groupPanel(page).getByRole('button', { name: 'Back to messages' }).click();
    await page.getByRole('button', { name: 'Back to conversations' }).click();
    await expect(page.getByRole('navigation', { name: 'Chats' }).isVisible()).resolves.toBe(true);
    await context.close();
  });
});

/** Opens "Channels" in the list (unless it is open). */
async function openChannels(page: Page): Promise<void> {
  const toggle = page.getByRole('button', { name: 'Channels', exact: true });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
}

/** "New channel" under "Channels": a channel by this name, opened once the server made it. */
async function createChannel(page: Page, name: string): Promise<void> {
  await openChannels(page);
  await page.getByRole('button', { name: 'New channel' }).click();
  const form = page.getByRole('form', { name: 'New channel' });
  await form.getByLabel('Channel name').fill(name);
  await expect(form.getByLabel('Public: anyone can find and join it').isChecked()).resolves.toBe(
    true,
  );
  await form.getByRole('button', { name: 'Create channel' }).click();
  await page.getByRole('region', { name: `Channel ${name}`, exact: true }).waitFor();
}

/** The channel search's entry for the public channel `name` (searched by its name). */
async function foundChannel(page: Page, name: string) {
  await openChannels(page);
  await page.getByLabel('Find channels').fill(name);
  await page.getByRole('button', { name: 'Find', exact: true }).click();
  const entry = page
    .getByRole('list', { name: 'Public channels' })
    .getByRole('listitem')
    .filter({ hasText: name });
  await entry.waitFor();
  return entry;
}

async function openChannel(page: Page, name: string): Promise<void> {
  await page
    .getByRole('list', { name: 'Conversations' })
    .getByRole('button', { name: `${name}, channel` })
    .click();
  await page.getByRole('region', { name: `Channel ${name}`, exact: true }).waitFor();
}

const channelPanel = (page: Page) => page.getByRole('region', { name: 'Channel info' });

/** The admins the channel panel lists, as "name: role". */
async function adminsShown(page: Page): Promise<string[]> {
  const rows = channelPanel(page).getByRole('list', { name: 'Admins' }).getByRole('listitem');
  const names = await rows.locator('.who').allInnerTexts();
  const roles = await rows.locator('.role').allInnerTexts();
  return names.map((name, i) => `${name}: ${roles[i]}`);
}

/** The marks of the own messages shown, as "text: status". */
async function ownMarks(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(
    "Array.from(document.querySelectorAll('li.message.own')).map((li) => `${li.querySelector('.text').textContent}: ${li.dataset.status}`)",
  );
}

/** Polls the database until `query` (one row, one column `n`) gives at least `atLeast`. */
async function awaitRow(
  query: string,
  params: unknown[],
  atLeast: number,
  what: string,
): Promise<void> {
  const db = new Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    for (let i = 0; i < 100; i++) {
      const { rows } = await db.query<{ n: string | null }>(query, params);
      if (Number(rows[0]?.n ?? 0) >= atLeast) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`never saw ${what}`);
  } finally {
    await db.end();
  }
}

/** Waits until the server holds `username`'s read cursor in the channel `title` at `seq` or past. */
const readUpTo = (username: string, title: string, seq: number) =>
  awaitRow(
    `SELECT max(m.read_seq) AS n FROM conversation_members m
       JOIN users u ON u.id = m.user_id JOIN conversations c ON c.id = m.conversation_id
      WHERE u.username = $1 AND c.title = $2`,
    [username, title],
    seq,
    `${username} read ${title} up to ${seq}`,
  );

/** The e2e stack's operator (ANNOUNCEMENTS_ADMINS): registered once per database, then logged in. */
async function operatorAccount(gateway: string): Promise<TestAccount> {
  const reg = await postJson<{ user: { id: string } }>(`${gateway}/v1/auth/register`, {
    username: TEST_OPERATOR,
    email: `${TEST_OPERATOR}@example.org`,
    realName: 'The operator',
    password: PASSWORD,
  });
  expect([201, 409]).toContain(reg.status);
  const tokens = await logIn(gateway, TEST_OPERATOR, PASSWORD);
  const me = await fetch(`${gateway}/v1/auth/me`, {
    headers: { authorization: `Bearer ${tokens.accessToken}` },
  });
  const { user } = (await me.json()) as { user: { id: string } };
  return { id: user.id, username: TEST_OPERATOR, password: PASSWORD, ...tokens };
}

describe('the web client: channels', () => {
  it('creates a public channel in the browser and posts; a reader on the other gateway finds it, joins, reads it live and cannot write; promoted, he posts; marks never go past "sent"', async () => {
    const alice = `ca_${suffix()}`;
    const bob = `cb_${suffix()}`;
    const name = `Releases ${suffix()}`;
    const a = await openApp(gateway1);
    const b = await openApp(gateway2);
    const refused = [cspViolations(a.page), cspViolations(b.page)];
    await register(a.page, alice);
    await register(b.page, bob);
    let again: BrowserContext | undefined;
    try {
      // Alice makes the channel: its "#" name in the header, what it is, its "created" line.
      await online(a.page);
      await createChannel(a.page, name);
      await a.page.getByRole('heading', { level: 2, name, exact: true }).waitFor();
      await a.page.getByText('Public channel · 1 member').waitFor();
      await eventually(
        () => eventLines(a.page),
        [said(alice, { type: 'channel-created', name, public: true })],
      );
      await write(a.page, 'version 1.0 is out');
      await a.page.locator(STORED, { hasText: 'version 1.0 is out' }).waitFor();
      await a.page
        .getByRole('list', { name: 'Conversations' })
        .getByRole('button', { name: `${name}, channel` })
        .waitFor();

      // Bob finds it by a part of its name, with its member count, and joins: it opens.
      await online(b.page);
      const entry = await foundChannel(b.page, name.slice(-8).toUpperCase());
      await entry.getByText('1 member').waitFor();
      await screenshot(b.page, 'channel-search');
      await entry.getByRole('button', { name: `Join ${name}` }).click();
      await b.page.getByRole('region', { name: `Channel ${name}`, exact: true }).waitFor();
      await shown(b.page, 'version 1.0 is out');
      expect(await senderShown(b.page, 'version 1.0 is out')).toBe(alice);
      await b.page.getByText('Public channel · 2 members').waitFor();

      // A reader's page has no composer: a line says why, and he may leave; no channel panel.
      await b.page.getByRole('status').getByText('Only admins post in this channel.').waitFor();
      expect(await b.page.getByLabel('Message', { exact: true }).count()).toBe(0);
      await b.page.getByRole('button', { name: 'Leave channel' }).waitFor();
      expect(await b.page.getByRole('button', { name: 'Channel info' }).count()).toBe(0);
      await screenshot(b.page, 'channel-reader');

      // Alice's next post reaches him live; listed, with the channel's mark.
      await write(a.page, 'version 1.1, live');
      await shown(b.page, 'version 1.1, live');
      await b.page
        .getByRole('list', { name: 'Conversations' })
        .getByRole('button', { name: `${name}, channel` })
        .waitFor();
      // The search says he joined it now.
      await (
        await foundChannel(b.page, name)
      )
        .getByRole('button', { name: `Open ${name}` })
        .click();

      // Alice makes him an admin in the channel panel: his page lets him write.
      await a.page.getByRole('button', { name: 'Channel info' }).click();
      const panel = channelPanel(a.page);
      await eventually(() => adminsShown(a.page), [`${alice} (you): admin`]);
      await panel.getByText('1 admin of 2 members').waitFor();
      const members = panel.getByRole('form', { name: 'Channel members' });
      await members.getByLabel('Members by username').fill(bob);
      await members.getByRole('button', { name: 'Make admin' }).click();
      await panel.getByRole('status').getByText(`${bob} is now admin.`).waitFor();
      await eventually(() => adminsShown(a.page), [`${alice} (you): admin`, `${bob}: admin`]);
      await screenshot(a.page, 'channel-info');
      await panel.getByRole('button', { name: 'Back to messages' }).click();

      await b.page.getByLabel('Message', { exact: true }).waitFor();
      await b.page.getByRole('button', { name: 'Channel info' }).waitFor();
      await write(b.page, 'hello from the new admin');
      await b.page.locator(STORED, { hasText: 'hello from the new admin' }).waitFor();
      await shown(a.page, 'hello from the new admin');
      expect(await senderShown(a.page, 'hello from the new admin')).toBe(bob);

      // No receipts in a channel: bob, an admin (so listed with his cursors), read alice's posts,
      // and her posts still say "sent", with no Info. A fresh device of hers marks them from the
      // list it reads, as after any reconnect.
      const lastPost = Number(
        await a.page.locator(STORED, { hasText: 'version 1.1, live' }).getAttribute('data-seq'),
      );
      await readUpTo(bob, name, lastPost);
      expect(await ownMarks(a.page)).toEqual([
        'version 1.0 is out: sent',
        'version 1.1, live: sent',
      ]);
      again = await browser.newContext({ viewport: { width: 1100, height: 720 } });
      const fresh = await again.newPage();
      await fresh.goto(gateway2);
      await fresh.getByLabel('Username').fill(alice);
      await fresh.getByLabel('Password').fill(PASSWORD);
      await fresh.getByRole('button', { name: 'Log in', exact: true }).click();
      await openChannel(fresh, name);
      await shown(fresh, 'hello from the new admin');
      await shown(fresh, 'version 1.0 is out');
      expect(await ownMarks(fresh)).toEqual([
        'version 1.0 is out: sent',
        'version 1.1, live: sent',
      ]);
      expect(await fresh.locator('li.message .info').count()).toBe(0);
      expect(await a.page.locator('li.message .info').count()).toBe(0);
      expect(refused.flat()).toEqual([]);
    } finally {
      await again?.close();
      await a.context.close();
      await b.context.close();
    }
  }, 90_000);

  it('lets a reader leave a channel and join it again', async () => {
    const reader = `cl_${suffix()}`;
    const name = `Weather ${suffix()}`;
    const owner = await createAccount(gateway1, 'co');
    const o = await ParleyTestClient.connect(gateway1, owner);
    const { context, page } = await openApp(gateway2);
    try {
      const made = await ackedAnswer(change(o, { op: 'create-channel', name }));
      await ackedAnswer(sendFrame(o, made.conversationId, 'sunny all week'));
      await register(page, reader);
      await online(page);
      await (await foundChannel(page, name)).getByRole('button', { name: `Join ${name}` }).click();
      await shown(page, 'sunny all week');

      // Asked twice; then the channel stays, read-only, with a way back in.
      await page.getByRole('button', { name: 'Leave channel' }).click();
      await page
        .getByRole('group', { name: 'Leave the channel' })
        .getByRole('button', { name: 'Leave' })
        .click();
      await page
        .getByRole('status')
        .getByText('You are no longer a member of this channel', { exact: false })
        .waitFor();
      await page.getByText('You are no longer a member', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Join again' }).click();
      await page.getByRole('status').getByText('Only admins post in this channel.').waitFor();
      const post = await ackedAnswer(sendFrame(o, made.conversationId, 'rain on sunday'));
      await shown(page, 'rain on sunday');
      expect(await page.locator(`li.message[data-seq="${post.seq}"]`).count()).toBe(1);
    } finally {
      o.close();
      await context.close();
    }
  });

  it('shows the announcements channel to every user, read-only and with no way to leave it', async () => {
    const reader = `cn_${suffix()}`;
    const operator = await operatorAccount(gateway1);
    const o = await ParleyTestClient.connect(gateway1, operator);
    const { context, page } = await openApp(gateway2);
    try {
      await register(page, reader);
      // Storage puts every new user in it; listed once something was posted there.
      await awaitRow(
        `SELECT count(*) AS n FROM conversation_members m JOIN users u ON u.id = m.user_id
          WHERE u.username = $1 AND m.conversation_id = $2 AND m.left_seq IS NULL`,
        [reader, ANNOUNCEMENTS_CHANNEL_ID],
        1,
        `${reader} in the announcements channel`,
      );
      await ackedAnswer(sendFrame(o, ANNOUNCEMENTS_CHANNEL_ID, 'maintenance at noon'));
      await page.reload();
      await openChannel(page, 'Announcements');
      await shown(page, 'maintenance at noon');
      expect(await senderShown(page, 'maintenance at noon')).toBe(TEST_OPERATOR);
      await page.getByText('Announcements · ', { exact: false }).waitFor();
      await page.getByRole('status').getByText('Only admins post in this channel.').waitFor();
      expect(await page.getByLabel('Message', { exact: true }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Leave channel' }).count()).toBe(0);
      await ackedAnswer(sendFrame(o, ANNOUNCEMENTS_CHANNEL_ID, 'back online'));
      await shown(page, 'back online');
    } finally {
      o.close();
      await context.close();
      // Empty again, so other suites' users do not find it in their lists and syncs.
      await emptyAnnouncements(stack.databaseUrl);
    }
  });

  it('fits a phone: the channel browser, then a joined channel with its read-only line and a way back', async () => {
    const name = `Pocket news ${suffix()}`;
    const owner = await createAccount(gateway1, 'cp');
    const o = await ParleyTestClient.connect(gateway1, owner);
    const context = await browser.newContext({
      viewport: { width: 390, height: 780 },
      isMobile: true,
    });
    const page = await context.newPage();
    const overflow = () =>
      page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
    try {
      const made = await ackedAnswer(change(o, { op: 'create-channel', name }));
      await ackedAnswer(sendFrame(o, made.conversationId, 'small screens, big news'));
      await page.goto(gateway2);
      await register(page, `cq_${suffix()}`);
      const entry = await foundChannel(page, name);
      await entry.getByRole('button', { name: `Join ${name}` }).waitFor();
      await expect(
        page.getByRole('region', { name: 'Channels' }).getByText('New channel').isVisible(),
      ).resolves.toBe(true);
      expect(await overflow()).toBeLessThanOrEqual(0);
      await screenshot(page, 'phone-channels');

      await entry.getByRole('button', { name: `Join ${name}` }).click();
      await shown(page, 'small screens, big news');
      await expect(page.getByRole('navigation', { name: 'Chats' }).isVisible()).resolves.toBe(
        false,
      );
      await expect(
        page.getByRole('status').getByText('Only admins post in this channel.').isVisible(),
      ).resolves.toBe(true);
      await expect(page.getByRole('button', { name: 'Leave channel' }).isVisible()).resolves.toBe(
        true,
      );
      expect(await overflow()).toBeLessThanOrEqual(0);
      await screenshot(page, 'phone-channel');
      await page.getByRole('button', { name: 'Back to conversations' }).click();
      await page
        .getByRole('list', { name: 'Conversations' })
        .getByRole('button', { name: `${name}, channel` })
        .waitFor();
    } finally {
      o.close();
      await context.close();
    }
  });
});

/** The line under the open conversation's name: `online`, `last seen …`, who is typing. */
const statusLine = (page: Page, text: string | RegExp) =>
  page.locator('.conversation-view header .subtitle', { hasText: text });

/** The 1:1 chat with `username` in the list, shown with its online dot. */
const listedOnline = (page: Page, username: string) =>
  page
    .getByRole('list', { name: 'Conversations' })
    .getByRole('button', { name: `${username}, online` })
    .locator('.online-dot');

/**
 * The page goes out of sight or comes back (another tab in front, a minimised window): headless
 * Chromium keeps every page visible, so the page is told so, as the browser would.
 */
async function setVisible(page: Page, visible: boolean): Promise<void> {
  await page.evaluate(`(() => {
    const state = ${visible ? "'visible'" : "'hidden'"};
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  })()`);
}

/** A library client in the foreground (a socket starts in the background: offline to others). */
async function connectedInFront(gateway: string, account: TestAccount): Promise<ParleyTestClient> {
  const client = await ParleyTestClient.connect(gateway, account);
  client.send({ type: 'presence.state', state: 'foreground' });
  return client;
}

/** The 1:1 conversation of `account` with `username`, as `account` lists it. */
async function chatWith(account: TestAccount, username: string): Promise<ConversationView> {
  for (let i = 0; i < 100; i++) {
    const found = (await conversationsOf(gateway1, account)).find(
      (c) => c.kind === 'direct' && c.members.some((m) => m.username === username),
    );
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${account.username} never listed a chat with ${username}`);
}

describe('the web client: presence', () => {
  it('shows a connected peer online: a dot in the list and "online" in the header; typing in the composer tells the peer', async () => {
    const alice = `pa_${suffix()}`;
    const a = await openApp(gateway1);
    await register(a.page, alice);
    const bob = await createAccount(gateway2, 'pab');
    const b = await connectedInFront(gateway2, bob);
    try {
      await startChat(a.page, bob.username);
      await statusLine(a.page, /^online$/).waitFor();
      await listedOnline(a.page, bob.username).waitFor();
      await screenshot(a.page, 'presence-online');

      const chat = await chatWith(bob, alice);
      await a.page.getByLabel('Message', { exact: true }).pressSequentially('hel');
      const typing = await b.next<TypingServerFrame>(
        (f) => f.type === 'typing' && f.conversationId === chat.id,
      );
      expect(typing).toMatchObject({ username: alice });
      expect(Date.parse(typing.expiresAt)).toBeGreaterThan(Date.now());
    } finally {
      b.close();
      await a.context.close();
    }
  });

  it('shows "typing…" while the peer types, until the signal runs out or the message arrives', async () => {
    const alice = `pt_${suffix()}`;
    const a = await openApp(gateway1);
    await register(a.page, alice);
    const bob = await createAccount(gateway2, 'ptb');
    const b = await connectedInFront(gateway2, bob);
    try {
      await startChat(a.page, bob.username);
      await statusLine(a.page, /^online$/).waitFor();
      const { id } = await chatWith(bob, alice);
      const typingShown = statusLine(a.page, `${bob.username} is typing…`);

      b.send({ type: 'typing', conversationId: id });
      await typingShown.waitFor();
      await screenshot(a.page, 'presence-typing');
      // Nothing more from bob: gone once the signal runs out, and back to "online".
      await typingShown.waitFor({ state: 'detached', timeout: TYPING_TTL_MS + 5_000 });
      await statusLine(a.page, /^online$/).waitFor();

      // Typing again (the server's spacing is long past), then the message: it ends the line at once.
      b.send({ type: 'typing', conversationId: id });
      await typingShown.waitFor();
      await ackedAnswer(sendFrame(b, id, 'there it is'));
      await shown(a.page, 'there it is');
      await expect(a.page.locator('.conversation-view header .subtitle').innerText()).resolves.toBe(
        'online',
      );
    } finally {
      b.close();
      await a.context.close();
    }
  });

  it('shows both typists in a group, by name', async () => {
    const alice = `pg_${suffix()}`;
    const a = await openApp(gateway1);
    await register(a.page, alice);
    const bob = await createAccount(gateway2, 'pgb');
    const carol = await createAccount(gateway1, 'pgc');
    const b = await ParleyTestClient.connect(gateway2, bob);
    const c = await ParleyTestClient.connect(gateway1, carol);
    try {
      await online(a.page);
      await createGroup(a.page, 'Typists', [bob.username, carol.username]);
      const group = await listedGroup(bob, 'Typists');
      await a.page.getByText('3 members').waitFor();
      b.send({ type: 'typing', conversationId: group.id });
      c.send({ type: 'typing', conversationId: group.id });
      await statusLine(a.page, `${bob.username} and ${carol.username} are typing…`).waitFor();
      await screenshot(a.page, 'presence-group-typing');
      // Both run out: the member count again.
      await statusLine(a.page, '3 members').waitFor({ timeout: TYPING_TTL_MS + 5_000 });
    } finally {
      b.close();
      c.close();
      await a.context.close();
    }
  });

  it('saves who sees her online in Settings (reciprocal: she then sees nobody either), kept across a reload', async () => {
    const alice = `ps_${suffix()}`;
    const a = await openApp(gateway1);
    await register(a.page, alice);
    const bob = await createAccount(gateway2, 'psb');
    const b = await connectedInFront(gateway2, bob);
    const hers = async () => {
      const chat = await chatWith(bob, alice);
      const aliceId = chat.members.find((m) => m.username === alice)?.id ?? '';
      const res = await fetch(`${gateway2}/v1/presence?userIds=${aliceId}`, {
        headers: { authorization: `Bearer ${bob.accessToken}` },
      });
      const body = (await res.json()) as { users: { online: boolean | null }[] };
      return body.users[0]?.online;
    };
    try {
      await startChat(a.page, bob.username);
      await statusLine(a.page, /^online$/).waitFor();
      await eventually(hers, true);

      const settings = a.page.getByRole('region', { name: 'Settings' });
      await settings.getByRole('button', { name: 'Settings' }).click();
      const choices = settings.getByRole('group', { name: 'Who sees when you are online' });
      await expect(choices.getByLabel('Everyone').isChecked()).resolves.toBe(true);
      await choices.getByLabel('Nobody').check();
      await settings.getByText('Nobody sees when you are online').waitFor();
      await screenshot(a.page, 'presence-settings');
      // Hidden both ways: bob no longer sees her, and she no longer sees him.
      await statusLine(a.page, /^online$/).waitFor({ state: 'detached' });
      await eventually(hers, null);
      await expect(listedOnline(a.page, bob.username).count()).resolves.toBe(0);

      await a.page.reload();
      await openChat(a.page, bob.username);
      await settings.getByRole('button', { name: 'Settings' }).click();
      await expect(choices.getByLabel('Nobody').isChecked()).resolves.toBe(true);
      await expect(statusLine(a.page, /^online$/).count()).resolves.toBe(0);
      await choices.getByLabel('My contacts').check();
      await settings.getByText('Only your contacts see').waitFor();
      await a.page.reload();
      await settings.getByRole('button', { name: 'Settings' }).click();
      await expect(choices.getByLabel('My contacts').isChecked()).resolves.toBe(true);
      await choices.getByLabel('Everyone').check();
      await settings.getByText('Everyone sees when you are online').waitFor();
      await openChat(a.page, bob.username);
      await statusLine(a.page, /^online$/).waitFor();
      await eventually(hers, true);
    } finally {
      b.close();
      await a.context.close();
    }
  });

  it('follows the page out of sight: the other side sees "last seen" once the grace ran out, then "online" again', async () => {
    const alice = `pv_${suffix()}`;
    const bob = `pw_${suffix()}`;
    const a = await openApp(gateway1);
    const b = await openApp(gateway2);
    await register(a.page, alice);
    await register(b.page, bob);
    try {
      await startChat(a.page, bob);
      await statusLine(a.page, /^online$/).waitFor();
      await startChat(b.page, alice);
      await statusLine(b.page, /^online$/).waitFor();

      await setVisible(b.page, false);
      // Offline once the grace (short in the e2e stack) ran out, as a closed socket would be.
      const grace = Number(TEST_PRESENCE_ENV.PRESENCE_OFFLINE_GRACE_MS);
      await statusLine(a.page, /^last seen /).waitFor({ timeout: grace + 10_000 });
      await expect(listedOnline(a.page, bob).count()).resolves.toBe(0);
      await screenshot(a.page, 'presence-last-seen');

      await setVisible(b.page, true);
      await statusLine(a.page, /^online$/).waitFor();
      await listedOnline(a.page, bob).waitFor();
    } finally {
      await a.context.close();
      await b.context.close();
    }
  });
});
