import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { argon2id } from 'hash-wasm';
import { ipInRange, parseIpRange, IpRangeError, addressBytes } from './ip-range';
import { authorizeInternal, AccessDecision, PresentedCredentials } from './internal-authorizer';
import { compilePermission } from './permissions';
import { parseStoredSecret, secretMatches, sha256Secret } from './secrets';
import { UsersConfigError, compileUsers } from './users';
import { JwtError, decodeJwt, importJwks, selectKey, verifyJwt } from './jwt';

describe('IP ranges', () => {
  const table: Array<[string, string, boolean]> = [
    ['192.168.1.0/24', '192.168.1.77', true],
    ['192.168.1.0/24', '192.168.2.1', false],
    ['10.0.0.7', '10.0.0.7', true],
    ['10.0.0.7', '10.0.0.8', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['127.0.0.1', '::ffff:127.0.0.1', true],
    ['::1', '::1', true],
    ['::1', '127.0.0.1', false],
    ['fd00::/8', 'fd12:3456::1', true],
    ['fd00::/8', 'fe80::1', false],
    ['::ffff:10.0.0.0/104', '10.200.1.1', true],
    ['2001:db8::/32', '2001:db8:ffff::1%eth0', true],
  ];
  for (const [range, ip, inside] of table) it(`${ip} ${inside ? 'is' : 'is not'} in ${range}`, () => assert.equal(ipInRange(ip, parseIpRange(range)), inside));

  it('refuses ranges that are not addresses or CIDRs', () => {
    for (const bad of ['', 'cam1', '10.0.0.0/33', '1.2.3.4/', '1.2.3.256', '::1/129', '1::2::3', '10.0.0.0/8/8', 'fe80::zz']) {
      assert.throws(() => parseIpRange(bad), IpRangeError, bad);
    }
  });

  it('property: every IPv4 address is inside its own /n for every n, and parsing never throws anything but IpRangeError', () => {
    fc.assert(fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (ip, n) => ipInRange(ip, parseIpRange(`${ip}/${n}`))));
    fc.assert(fc.property(fc.ipV6(), (ip) => addressBytes(ip) !== undefined && ipInRange(ip, parseIpRange(ip))));
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => {
      try {
        parseIpRange(s);
      } catch (err) {
        if (!(err instanceof IpRangeError)) throw err;
      }
    }));
  });
});

describe('permissions', () => {
  it('an empty path is any path; a plain path is exact; ~ is a searched regular expression; api/metrics ignore paths', () => {
    assert.ok(compilePermission({ action: 'read' }).matches('read', 'anything'));
    assert.ok(compilePermission({ action: 'read', path: 'cam1' }).matches('read', 'cam1'));
    assert.ok(!compilePermission({ action: 'read', path: 'cam1' }).matches('read', 'cam10'));
    assert.ok(!compilePermission({ action: 'read', path: 'cam1' }).matches('publish', 'cam1'));
    assert.ok(compilePermission({ action: 'publish', path: '~^drone' }).matches('publish', 'drone7'));
    assert.ok(!compilePermission({ action: 'publish', path: '~^drone' }).matches('publish', 'mydrone'));
    assert.ok(compilePermission({ action: 'api', path: 'ignored' }).matches('api', ''));
    assert.throws(() => compilePermission({ action: 'read', path: '~(' }), /not a valid regular expression/);
  });
});

describe('stored secrets (MediaMTX formats)', () => {
  it('plain, sha256: and argon2: match the right value only', async () => {
    assert.equal(await secretMatches(parseStoredSecret('pw'), 'pw'), true);
    assert.equal(await secretMatches(parseStoredSecret('pw'), 'pw2'), false);
    // echo -n testpass | openssl dgst -sha256 -binary | base64
    assert.equal(sha256Secret('testpass'), 'sha256:E9JJ8stBJ7QM+nV4ZoUCeHk/gU3tPFh/5YieiJp6n2w=');
    assert.equal(await secretMatches(parseStoredSecret(sha256Secret('testpass')), 'testpass'), true);
    assert.equal(await secretMatches(parseStoredSecret(sha256Secret('testpass')), 'testpasS'), false);
    const encoded = await argon2id({ password: 'argon-pw', salt: 'sixteen-byte-slt', iterations: 2, memorySize: 1024, parallelism: 1, hashLength: 32, outputType: 'encoded' });
    const stored = parseStoredSecret(`argon2:${encoded}`);
    assert.equal(await secretMatches(stored, 'argon-pw'), true);
    assert.equal(await secretMatches(stored, 'argon-pw'), true, 'cached');
    assert.equal(await secretMatches(stored, 'other'), false);
    assert.throws(() => parseStoredSecret('sha256:short'), /32-byte/);
    assert.throws(() => parseStoredSecret('argon2:nope'), /PHC/);
  });

  it('loads hash-wasm only for the first argon2 check (a gateway without argon2 users never pays its ~1.8 MiB)', async () => {
    const encoded = await argon2id({ password: 'argon-pw', salt: 'sixteen-byte-slt', iterations: 2, memorySize: 1024, parallelism: 1, hashLength: 32, outputType: 'encoded' });
    // A fresh process: this file's own import of hash-wasm would hide a static one.
    const probe = `
      const access = require(${JSON.stringify(join(__dirname, 'index.js'))});
      const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/hash-wasm/'));
      (async () => {
        const before = [loaded(), await access.secretMatches(access.parseStoredSecret('sha256:E9JJ8stBJ7QM+nV4ZoUCeHk/gU3tPFh/5YieiJp6n2w='), 'testpass'), loaded()];
        const ok = await access.secretMatches(access.parseStoredSecret(process.argv[1]), 'argon-pw');
        console.log(JSON.stringify([...before, ok, loaded()]));
      })();`;
    const r = spawnSync(process.execPath, ['-e', probe, `argon2:${encoded}`], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [false, true, false, true, true], '[loaded at start, sha256 check, loaded after it, argon2 check, loaded after it]');
  });
});

describe('authorizeInternal: the users list decides', () => {
  const users = compileUsers([
    { user: 'any', permissions: [{ action: 'read', path: 'public' }] },
    { user: 'any', ips: ['127.0.0.0/8'], permissions: [{ action: 'metrics' }] },
    { user: 'alice', pass: 'a-pw', permissions: [{ action: 'read', path: '~^cam' }, { action: 'api' }] },
    { user: 'bob', pass: sha256Secret('b-pw'), ips: ['10.0.0.0/8'], permissions: [{ action: 'publish' }] },
  ]);
  const pw = (user: string, pass: string): PresentedCredentials => ({ kind: 'password', user, pass });
  const none: PresentedCredentials = { kind: 'none' };
  const cases: Array<[string, PresentedCredentials, string, 'read' | 'publish' | 'api' | 'metrics', string, AccessDecision]> = [
    ['anonymous reads the public path', none, '192.0.2.1', 'read', 'public', { allowed: true, user: 'any' }],
    ['anonymous elsewhere needs credentials', none, '192.0.2.1', 'read', 'cam1', { allowed: false, status: 401, reason: 'missing-credentials' }],
    ['anonymous metrics from loopback only', none, '127.0.0.1', 'metrics', '', { allowed: true, user: 'any' }],
    ['anonymous metrics from elsewhere', none, '192.0.2.1', 'metrics', '', { allowed: false, status: 401, reason: 'missing-credentials' }],
    ['alice reads cam1', pw('alice', 'a-pw'), '192.0.2.1', 'read', 'cam1', { allowed: true, user: 'alice', revision: users[2].revision }],
    ['alice wrong password', pw('alice', 'x'), '192.0.2.1', 'read', 'cam1', { allowed: false, status: 401, reason: 'wrong-credentials', user: 'alice' }],
    ['alice cannot publish', pw('alice', 'a-pw'), '192.0.2.1', 'publish', 'cam1', { allowed: false, status: 403, reason: 'no-permission', user: 'alice' }],
    ['unknown user', pw('mallory', 'a-pw'), '192.0.2.1', 'read', 'cam1', { allowed: false, status: 401, reason: 'wrong-credentials', user: 'mallory' }],
    ['bob (sha256:) publishes from 10/8', pw('bob', 'b-pw'), '10.1.2.3', 'publish', 'x', { allowed: true, user: 'bob', revision: users[3].revision }],
    ['bob from another network', pw('bob', 'b-pw'), '192.0.2.1', 'publish', 'x', { allowed: false, status: 403, reason: 'address-not-allowed', user: 'bob' }],
    ['wrong credentials still read what anyone may', pw('alice', 'x'), '192.0.2.1', 'read', 'public', { allowed: true, user: 'any' }],
  ];
  for (const [name, credentials, ip, action, path, expected] of cases) {
    it(name, async () => assert.deepEqual(await authorizeInternal(users, { credentials, ip, action, path }), expected));
  }

  it('Digest is checked against plain-text passwords only', async () => {
    const digest = (user: string, password: string): PresentedCredentials => ({ kind: 'digest', user, verify: (p) => p === password });
    assert.equal((await authorizeInternal(users, { credentials: digest('alice', 'a-pw'), ip: '1.2.3.4', action: 'read', path: 'cam1' })).allowed, true);
    assert.equal((await authorizeInternal(users, { credentials: digest('bob', 'b-pw'), ip: '10.0.0.1', action: 'publish', path: 'x' })).allowed, false);
  });

  it('signing in (namedOnly) checks the credentials even where anyone is allowed', async () => {
    const read = { ip: '192.0.2.1', action: 'read' as const, path: 'public' };
    assert.equal((await authorizeInternal(users, { credentials: pw('alice', 'x'), ...read }, true)).allowed, false);
    assert.equal((await authorizeInternal(users, { credentials: none, ...read }, true)).allowed, false);
    assert.deepEqual(await authorizeInternal(users, { credentials: pw('alice', 'a-pw'), ...read, path: 'cam1' }, true), { allowed: true, user: 'alice', revision: users[2].revision });
  });

  it('a console session holds while the entry it was made with is unchanged', async () => {
    const session = (user: string, revision: string): PresentedCredentials => ({ kind: 'session', user, verify: (r) => r === revision });
    const api = { ip: '192.0.2.1', action: 'api' as const, path: '' };
    assert.deepEqual(await authorizeInternal(users, { credentials: session('alice', users[2].revision), ...api }), { allowed: true, user: 'alice', revision: users[2].revision });
    assert.equal((await authorizeInternal(users, { credentials: session('alice', users[2].revision), ...api, action: 'publish' })).allowed, false, 'permissions still apply');
    const newPassword = compileUsers([{ user: 'alice', pass: 'new-pw', permissions: [{ action: 'api' }] }]);
    assert.notEqual(newPassword[0].revision, users[2].revision);
    assert.deepEqual(await authorizeInternal(newPassword, { credentials: session('alice', users[2].revision), ...api }),
      { allowed: false, status: 401, reason: 'wrong-credentials', user: 'alice' }, 'a changed password ends the session');
    assert.equal((await authorizeInternal(users, { credentials: session('bob', users[2].revision), ...api })).allowed, false, 'bound to its user');
  });

  it('refuses bad lists with the entry named, never the password', () => {
    assert.throws(() => compileUsers([{ user: 'x' }]), (e: Error) => e instanceof UsersConfigError && /users\[0\] \(x\): a named user needs a pass/.test(e.message));
    assert.throws(() => compileUsers([{ user: 'x', pass: 'secret-pw', ips: ['nope'] }]), (e: Error) => e instanceof UsersConfigError && !e.message.includes('secret-pw'));
    assert.throws(() => compileUsers([{ user: 'x', pass: 'p', permissions: [{ action: 'root' }] }]), /users\[0\]\.permissions\[0\]\.action/);
  });
});

describe('JWT verification against a JWKS', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks = { keys: [{ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'r1', alg: 'RS256', use: 'sig' }, { ...ec.publicKey.export({ format: 'jwk' }), kid: 'e1' }] };
  const keys = importJwks(jwks);
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const token = (alg: 'RS256' | 'ES256', kid: string, payload: Record<string, unknown>): string => {
    const input = `${b64({ alg, kid, typ: 'JWT' })}.${b64(payload)}`;
    const sig = alg === 'RS256' ? sign('sha256', Buffer.from(input), rsa.privateKey) : sign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${sig.toString('base64url')}`;
  };
  const now = 1_800_000_000;
  const claims = { sub: 'alice', exp: now + 60, mediamtx_permissions: [{ action: 'read', path: 'cam1' }] };

  for (const [alg, kid] of [['RS256', 'r1'], ['ES256', 'e1']] as const) {
    it(`${alg}: a valid token yields its permissions`, () => {
      const jwt = decodeJwt(token(alg, kid, claims));
      const key = selectKey(jwt, keys);
      assert.ok(key);
      const v = verifyJwt(jwt, key, { nowSec: now, claimKey: 'mediamtx_permissions' });
      assert.equal(v.subject, 'alice');
      assert.ok(v.permissions[0].matches('read', 'cam1'));
    });
  }

  it('refuses expired, not-yet-valid, tampered and permission-less tokens; unknown kid finds no key', () => {
    const verify = (t: string): unknown => {
      const jwt = decodeJwt(t);
      const key = selectKey(jwt, keys);
      if (!key) return 'no key';
      return verifyJwt(jwt, key, { nowSec: now, claimKey: 'mediamtx_permissions' });
    };
    assert.throws(() => verify(token('RS256', 'r1', { ...claims, exp: now - 120 })), /expired/);
    assert.throws(() => verify(token('RS256', 'r1', { ...claims, nbf: now + 120 })), /not valid yet/);
    const good = token('RS256', 'r1', claims).split('.');
    assert.throws(() => verify(`${good[0]}.${b64({ ...claims, mediamtx_permissions: [{ action: 'publish' }] })}.${good[2]}`), /signature/);
    assert.throws(() => verify(token('RS256', 'r1', { sub: 'x', exp: now + 60 })), /claim/);
    assert.equal(verify(token('RS256', 'r9', claims)), 'no key');
    assert.throws(() => decodeJwt('a.b'), JwtError);
    assert.equal(selectKey(decodeJwt(`${b64({ alg: 'none' })}.${b64(claims)}.`), keys), undefined, 'alg none has no key');
    assert.equal(selectKey(decodeJwt(`${b64({ alg: 'HS256', kid: 'r1' })}.${b64(claims)}.x`), keys), undefined, 'HMAC has no key');
  });

  it('property: decodeJwt throws only JwtError on any input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
      try {
        decodeJwt(s);
      } catch (err) {
        if (!(err instanceof JwtError)) throw err;
      }
    }));
  });
});
