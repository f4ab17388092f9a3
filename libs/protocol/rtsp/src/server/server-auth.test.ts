import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseAuthenticate } from '../headers/authenticate';
import { buildAuthorization } from '../headers/digest';
import { DigestAuthorization, DigestNonces, digestResponseMatches, serverChallenges } from './server-auth';

describe('server-side Digest (RFC 7616)', () => {
  const nonces = new DigestNonces(Buffer.alloc(32, 7), 60_000);

  it('a nonce is valid on its connection, stale after its lifetime, invalid elsewhere or altered', () => {
    const n = nonces.issue('conn-1', 1_000_000);
    assert.equal(nonces.check(n, 'conn-1', 1_000_000 + 59_000), 'valid');
    assert.equal(nonces.check(n, 'conn-1', 1_000_000 + 61_000), 'stale');
    assert.equal(nonces.check(n, 'conn-2', 1_000_000), 'invalid');
    assert.equal(nonces.check(`${n.slice(0, -1)}${n.endsWith('A') ? 'B' : 'A'}`, 'conn-1', 1_000_000), 'invalid');
    assert.equal(new DigestNonces(Buffer.alloc(32, 8), 60_000).check(n, 'conn-1', 1_000_000), 'invalid', 'another process secret');
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => ['invalid', 'valid', 'stale'].includes(nonces.check(s, 'conn-1', 0))));
  });

  it('challenges are SHA-256, MD5, Basic in that order, and parse back', () => {
    const values = serverChallenges({ realm: 'streamgate', nonce: 'n1', digest: true, basic: true });
    assert.deepEqual(values.map(parseAuthenticate), [
      { scheme: 'Digest', realm: 'streamgate', nonce: 'n1', algorithm: 'SHA-256', qop: ['auth'] },
      { scheme: 'Digest', realm: 'streamgate', nonce: 'n1', algorithm: 'MD5', qop: ['auth'] },
      { scheme: 'Basic', realm: 'streamgate' },
    ]);
    assert.equal(parseAuthenticate(serverChallenges({ realm: 'r', nonce: 'n', digest: true, basic: false, stale: true })[0]).scheme === 'Digest', true);
  });

  it('a response built by the client code verifies with the right password only (MD5, SHA-256, with and without qop)', () => {
    for (const algorithm of ['MD5', 'SHA-256'] as const) {
      for (const qop of [['auth'], undefined]) {
        const auth = buildAuthorization({ scheme: 'Digest', realm: 'streamgate', nonce: 'abc', algorithm, qop }, { username: 'u', password: 'p' },
          'DESCRIBE', 'rtsp://h/cam1', { cnonce: 'c', nc: 3 }) as DigestAuthorization;
        assert.equal(digestResponseMatches(auth, 'DESCRIBE', 'p'), true);
        assert.equal(digestResponseMatches(auth, 'DESCRIBE', 'q'), false);
        assert.equal(digestResponseMatches(auth, 'SETUP', 'p'), false);
      }
    }
  });
});
