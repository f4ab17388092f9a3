import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseAuthorization } from '../headers/authorization';
import { computeDigestResponse } from '../headers/digest';
import { ClientAuthenticator, UNAUTHORIZED_REASON } from './client-auth';

const CREDS = { username: 'admin', password: 'secret' };
const URI = 'rtsp://10.0.0.2:554/stream1';
const fixedCnonce = (): string => '0a4f113b';

function digestOf(header: string | undefined): { nonce: string; nc?: number; response: string; algorithm?: string; qop?: string } {
  assert.ok(header);
  const auth = parseAuthorization(header);
  assert.ok(auth.scheme === 'Digest');
  return auth;
}

describe('ClientAuthenticator', () => {
  it('sends nothing before the first challenge', () => {
    assert.equal(new ClientAuthenticator(CREDS, fixedCnonce).authorize('OPTIONS', URI), undefined);
  });

  // [camera, WWW-Authenticate values, scheme chosen, algorithm]
  const choices: Array<[string, string[], 'Basic' | 'Digest', string | undefined]> = [
    ['Basic only (GStreamer --auth basic)', ['Basic realm="GStreamer RTSP Server"'], 'Basic', undefined],
    ['Hikvision: Digest then Basic', ['Digest realm="IP Camera(C6231)", nonce="3b8c1b2f", stale="FALSE"', 'Basic realm="IP Camera(C6231)"'], 'Digest', undefined],
    ['Basic listed first still loses to Digest', ['Basic realm="r"', 'Digest realm="r", nonce="n"'], 'Digest', undefined],
    ['SHA-256 preferred over MD5 (RFC 7616 §3.7)', ['Digest realm="r", nonce="n", algorithm=MD5, qop="auth"', 'Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth"'], 'Digest', 'SHA-256'],
    ['unknown scheme next to a known one', ['NTLM', 'Digest realm="r", nonce="n"'], 'Digest', undefined],
  ];
  for (const [camera, values, scheme, algorithm] of choices) {
    it(`answers ${camera} with ${scheme}${algorithm ? ` ${algorithm}` : ''}`, () => {
      const auth = new ClientAuthenticator(CREDS, fixedCnonce);
      assert.deepEqual(auth.unauthorized(values, false), { retry: true });
      const header = auth.authorize('DESCRIBE', URI);
      assert.ok(header?.startsWith(scheme));
      if (scheme === 'Digest') assert.equal(digestOf(header).algorithm, algorithm);
      assert.equal(auth.scheme, scheme);
    });
  }

  it('reuses a qop=auth nonce with an incrementing nc (RFC 7616 §3.4)', () => {
    const auth = new ClientAuthenticator(CREDS, fixedCnonce);
    auth.unauthorized(['Digest realm="r", nonce="n1", qop="auth"'], false);
    const ncs = ['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY'].map((m) => digestOf(auth.authorize(m, URI)).nc);
    assert.deepEqual(ncs, [1, 2, 3, 4]);
    const d = digestOf(auth.authorize('GET_PARAMETER', URI));
    assert.equal(d.response, computeDigestResponse({ ...CREDS, realm: 'r', nonce: 'n1', method: 'GET_PARAMETER', uri: URI, qop: 'auth', nc: 5, cnonce: '0a4f113b' }));
  });

  it('answers without qop in the RFC 2069 form (live555)', () => {
    const auth = new ClientAuthenticator(CREDS, fixedCnonce);
    auth.unauthorized(['Digest realm="LIVE555 Streaming Media", nonce="abc"'], false);
    const d = digestOf(auth.authorize('DESCRIBE', URI));
    assert.equal(d.qop, undefined);
    assert.equal(d.nc, undefined);
  });

  it('retries a stale nonce with the new one, resets nc, and does not count it as a failure', () => {
    const auth = new ClientAuthenticator(CREDS, fixedCnonce);
    auth.unauthorized(['Digest realm="r", nonce="n1", qop="auth"'], false);
    auth.authorize('OPTIONS', URI);
    auth.authorize('DESCRIBE', URI);
    for (let i = 2; i < 6; i++) {
      assert.deepEqual(auth.unauthorized([`Digest realm="r", nonce="n${i}", qop="auth", stale=true`], true), { retry: true });
      const d = digestOf(auth.authorize('PLAY', URI));
      assert.equal(d.nonce, `n${i}`);
      assert.equal(d.nc, 1);
    }
  });

  // [case, challenge answered, next challenge]
  const wrong: Array<[string, string, string]> = [
    ['Basic', 'Basic realm="r"', 'Basic realm="r"'],
    ['Digest, same nonce', 'Digest realm="r", nonce="n1"', 'Digest realm="r", nonce="n1"'],
    ['Digest, stale=false', 'Digest realm="r", nonce="n1"', 'Digest realm="r", nonce="n1", stale=FALSE'],
  ];
  for (const [name, first, second] of wrong) {
    it(`gives up at once on wrong credentials (${name})`, () => {
      const auth = new ClientAuthenticator(CREDS, fixedCnonce);
      assert.deepEqual(auth.unauthorized([first], false), { retry: true });
      auth.authorize('DESCRIBE', URI);
      assert.deepEqual(auth.unauthorized([second], true), { retry: false, reason: UNAUTHORIZED_REASON });
    });
  }

  it('allows one retry when the camera rotates the nonce without stale, then gives up', () => {
    const auth = new ClientAuthenticator(CREDS, fixedCnonce);
    auth.unauthorized(['Digest realm="r", nonce="n1"'], false);
    assert.deepEqual(auth.unauthorized(['Digest realm="r", nonce="n2"'], true), { retry: true });
    assert.deepEqual(auth.unauthorized(['Digest realm="r", nonce="n3"'], true), { retry: false, reason: UNAUTHORIZED_REASON });
  });

  it('an accepted request resets the rotation allowance', () => {
    const auth = new ClientAuthenticator(CREDS, fixedCnonce);
    auth.unauthorized(['Digest realm="r", nonce="n1"'], false);
    assert.deepEqual(auth.unauthorized(['Digest realm="r", nonce="n2"'], true), { retry: true });
    auth.accepted();
    assert.deepEqual(auth.unauthorized(['Digest realm="r", nonce="n3"'], true), { retry: true });
  });

  it('explains a challenge it cannot answer', () => {
    const none = new ClientAuthenticator(undefined, fixedCnonce).unauthorized(['Basic realm="r"'], false);
    assert.ok(!none.retry && /username/.test(none.reason));
    const r = new ClientAuthenticator(CREDS, fixedCnonce).unauthorized(['Bearer realm="r"'], false);
    assert.ok(!r.retry && /no supported authentication scheme/.test(r.reason));
  });

  it('never puts the password in the header it sends for Digest', () => {
    const auth = new ClientAuthenticator({ username: 'u', password: 'hunter2-very-secret' }, fixedCnonce);
    auth.unauthorized(['Digest realm="r", nonce="n", qop="auth"'], false);
    assert.ok(!(auth.authorize('DESCRIBE', URI) ?? '').includes('hunter2'));
  });
});
