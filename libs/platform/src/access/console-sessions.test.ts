import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { MemoryStateStore } from '../store/memory-store';
import { CONSOLE_SESSIONS_PREFIX, ConsoleSessions } from './console-sessions';
import { cookieValue } from './http-credentials';

describe('ConsoleSessions', () => {
  it('a token resolves to its user; only its hash is stored; the revision it was made with is checked', async () => {
    const store = new MemoryStateStore();
    const sessions = new ConsoleSessions(store, { ttlMs: 60_000, maxPerUser: 5 });
    const { token, expiresAt } = await sessions.create('alice', 'rev-1');
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(expiresAt > Date.now());
    const stored = await store.list(CONSOLE_SESSIONS_PREFIX);
    assert.equal(stored.length, 1);
    assert.equal(stored[0].key, CONSOLE_SESSIONS_PREFIX + createHash('sha256').update(token).digest('base64url'));
    assert.ok(!stored[0].value.includes(token) && !stored[0].key.includes(token), 'the token itself is not stored');
    const s = await sessions.resolve(token);
    assert.equal(s?.user, 'alice');
    assert.equal(s?.verify('rev-1'), true);
    assert.equal(s?.verify('rev-2'), false, 'a changed password (new revision) ends it');
    const second = await sessions.create('alice', 'rev-1');
    assert.notEqual(second.token, token, 'tokens are random');
  });

  it('unknown, malformed, expired and revoked tokens resolve to nothing', async () => {
    let now = 1_000_000;
    const store = new MemoryStateStore();
    const sessions = new ConsoleSessions(store, { ttlMs: 60_000, maxPerUser: 5, now: () => now });
    const { token } = await sessions.create('alice', 'r');
    assert.equal(await sessions.resolve('x'.repeat(43)), undefined);
    assert.equal(await sessions.resolve(`${token};`), undefined);
    assert.equal(await sessions.resolve(''), undefined);
    now += 60_001;
    assert.equal(await sessions.resolve(token), undefined, 'expired');
    now -= 60_001;
    assert.ok(await sessions.resolve(token));
    assert.equal(await sessions.revoke(token), true);
    assert.equal(await sessions.resolve(token), undefined, 'revoked');
    assert.equal(await sessions.revoke('not a token'), false);
  });

  it('the store forgets a session at its TTL', async () => {
    const store = new MemoryStateStore();
    const sessions = new ConsoleSessions(store, { ttlMs: 50, maxPerUser: 5 });
    const { token } = await sessions.create('alice', 'r');
    await new Promise((r) => setTimeout(r, 120));
    assert.equal((await store.list(CONSOLE_SESSIONS_PREFIX)).length, 0);
    assert.equal(await sessions.resolve(token), undefined);
  });

  it('limit: a user holds at most maxPerUser sessions (the oldest ends); other users are not touched', async () => {
    let now = 1_000_000;
    const store = new MemoryStateStore();
    const sessions = new ConsoleSessions(store, { ttlMs: 3_600_000, maxPerUser: 3, now: () => now });
    const bob = await sessions.create('bob', 'b');
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) {
      now += 1;
      tokens.push((await sessions.create('alice', 'a')).token);
    }
    const live = await Promise.all(tokens.map((t) => sessions.resolve(t)));
    assert.deepEqual(live.map((s) => s !== undefined), [false, false, true, true, true]);
    assert.ok(await sessions.resolve(bob.token));
    assert.equal((await store.list(CONSOLE_SESSIONS_PREFIX)).length, 4);
  });
});

describe('cookieValue (RFC 6265 §5.4 Cookie header)', () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['streamgate_session=abc', 'abc'],
    ['a=1; streamgate_session=abc; b=2', 'abc'],
    ['a=1;streamgate_session=abc', 'abc'],
    ['xstreamgate_session=abc', undefined],
    ['streamgate_session', undefined],
    ['=abc; streamgate_session=', ''],
  ];
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} → ${JSON.stringify(expected)}`, () => assert.equal(cookieValue(header, 'streamgate_session'), expected));
  }

  it('never throws on arbitrary headers (property)', () => {
    for (let i = 0; i < 2000; i++) {
      const chars = Array.from({ length: Math.floor(Math.random() * 40) }, () => String.fromCharCode(32 + Math.floor(Math.random() * 95)));
      const header = chars.join('');
      const v = cookieValue(header, 'streamgate_session');
      assert.ok(v === undefined || (header.includes('streamgate_session') && !v.includes(';')), header);
    }
  });
});
