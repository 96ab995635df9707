import { ErrorCode } from '@parley/protocol';
import { originAllowed, parseUpgradeTarget, selectProtocol } from './upgrade-request';

const TICKET = 'A'.repeat(43);

describe('parseUpgradeTarget', () => {
  it('finds the ticket of a well-formed target', () => {
    expect(parseUpgradeTarget(`/ws?ticket=${TICKET}`)).toEqual({ ok: true, ticket: TICKET });
  });

  it.each([
    ['//[', 400],
    ['http://[', 400],
    ['', 400],
    [undefined, 400],
    [`/ws?ticket=${TICKET}&pad=${'x'.repeat(3000)}`, 400],
    ['/other', 404],
    ['/ws', 401],
    ['/ws?ticket=short', 401],
    [`/ws?ticket=${TICKET}!`, 401],
  ])('refuses %j with %i, without throwing', (target, status) => {
    const parsed = parseUpgradeTarget(target);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.refusal.status).toBe(status);
  });

  const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

  it('without a ticket, takes the bearer token of the Authorization header and what the URL asks', () => {
    expect(parseUpgradeTarget('/ws', `Bearer ${TOKEN}`)).toEqual({
      ok: true,
      direct: { accessToken: TOKEN },
    });
    expect(parseUpgradeTarget('/ws?device=phone-1&sync=v2', `Bearer ${TOKEN}`)).toEqual({
      ok: true,
      direct: { accessToken: TOKEN, deviceId: 'phone-1', sync: 'v2' },
    });
    // A ticket wins over the header.
    expect(parseUpgradeTarget(`/ws?ticket=${TICKET}`, `Bearer ${TOKEN}`)).toEqual({
      ok: true,
      ticket: TICKET,
    });
  });

  it("takes a browser's token from its bearer subprotocol, offered beside `parley`, and selects only `parley`", () => {
    expect(
      parseUpgradeTarget('/ws?device=tab', undefined, `parley, parley.bearer.${TOKEN}`),
    ).toEqual({
      ok: true,
      direct: { accessToken: TOKEN, deviceId: 'tab' },
    });
    // Without `parley` beside it, or malformed, it is no token.
    expect(parseUpgradeTarget('/ws', undefined, `parley.bearer.${TOKEN}`)).toMatchObject({
      ok: false,
      refusal: { status: 401 },
    });
    expect(parseUpgradeTarget('/ws', undefined, 'parley, parley.bearer.nope')).toMatchObject({
      ok: false,
      refusal: { status: 401 },
    });
    expect(selectProtocol(new Set(['parley', `parley.bearer.${TOKEN}`]))).toBe('parley');
    expect(selectProtocol(new Set([`parley.bearer.${TOKEN}`]))).toBe(false);
  });

  it.each([
    ['/ws', 'Bearer', 401],
    ['/ws', `Basic ${TOKEN}`, 401],
    ['/ws', `Bearer ${TOKEN} extra`, 401],
    ['/ws', `Bearer ${'A'.repeat(5000)}.b.c`, 401],
    ['/ws', 'Bearer a.b', 401],
    ['/ws?device=', `Bearer ${TOKEN}`, 400],
    ['/ws?device=no%20spaces', `Bearer ${TOKEN}`, 400],
    [`/ws?device=${'d'.repeat(65)}`, `Bearer ${TOKEN}`, 400],
    ['/ws?sync=v1', `Bearer ${TOKEN}`, 400],
    ['/ws?ticket=', `Bearer ${TOKEN}`, 401],
  ])('refuses %j with Authorization %j: %i', (target, authorization, status) => {
    const parsed = parseUpgradeTarget(target, authorization);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.refusal.status).toBe(status);
  });

  it('never throws on arbitrary targets', () => {
    const samples = ['//[', '%', '/ws?%E0%A4%A', '\u0000', '//:99999', '/ws?ticket=%zz', '[::1'];
    for (const target of samples) expect(() => parseUpgradeTarget(target)).not.toThrow();
    expect(parseUpgradeTarget('//[')).toMatchObject({
      ok: false,
      refusal: { code: ErrorCode.ValidationFailed },
    });
  });
});

describe('originAllowed', () => {
  const allowed = ['http://127.0.0.1:3000', 'https://chat.example.org'];

  it('lets native clients (no Origin) and listed origins in', () => {
    expect(originAllowed(undefined, allowed)).toBe(true);
    expect(originAllowed('http://127.0.0.1:3000', allowed)).toBe(true);
    expect(originAllowed('HTTPS://CHAT.EXAMPLE.ORG', allowed)).toBe(true);
  });

  it('refuses every other origin', () => {
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1:3001', '']) {
      expect(originAllowed(origin, allowed)).toBe(false);
    }
  });
});
