import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RtspParseError } from '../base/errors';
import { AuthChallenge, formatAuthenticate, parseAuthenticate } from './authenticate';
import { AuthorizationHeader, formatAuthorization, parseAuthorization } from './authorization';
import { buildAuthorization, computeDigestResponse } from './digest';

describe('WWW-Authenticate', () => {
  const table: Array<[string, string, AuthChallenge]> = [
    ['live555 (RTSPServer.cpp format)', 'Digest realm="LIVE555 Streaming Media", nonce="a2e5e8f1d0b3c4a7e9f2"',
      { scheme: 'Digest', realm: 'LIVE555 Streaming Media', nonce: 'a2e5e8f1d0b3c4a7e9f2' }],
    ['Hikvision-style camera', 'Digest realm="IP Camera(C6231)", nonce="3b8c1b2f5d1e4a3c", stale="FALSE"',
      { scheme: 'Digest', realm: 'IP Camera(C6231)', nonce: '3b8c1b2f5d1e4a3c', stale: false }],
    ['Hikvision-style Basic', 'Basic realm="IP Camera(C6231)"', { scheme: 'Basic', realm: 'IP Camera(C6231)' }],
    ['RFC 7616 §3.9.1 SHA-256', 'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, ' +
      'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    { scheme: 'Digest', realm: 'http-auth@example.org', qop: ['auth', 'auth-int'], algorithm: 'SHA-256',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS' }],
    ['RFC 2617 §3.5', 'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
      'opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    { scheme: 'Digest', realm: 'testrealm@host.com', qop: ['auth', 'auth-int'], nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      opaque: '5ccc069c403ebaf9f0171e9517f40e41' }],
    ['stale nonce, MD5-sess', 'Digest realm="r", nonce="n2", stale=true, algorithm=MD5-sess',
      { scheme: 'Digest', realm: 'r', nonce: 'n2', stale: true, algorithm: 'MD5-sess' }],
  ];
  for (const [source, value, expected] of table) {
    it(`parses ${source}`, () => assert.deepEqual(parseAuthenticate(value), expected));
    it(`round-trips ${source}`, () => assert.deepEqual(parseAuthenticate(formatAuthenticate(expected)), expected));
  }
  it('rejects unknown schemes and algorithms', () => {
    assert.throws(() => parseAuthenticate('Bearer realm="x"'), RtspParseError);
    assert.throws(() => parseAuthenticate('Digest realm="x", nonce="y", algorithm=SHA-512'), RtspParseError);
    assert.throws(() => parseAuthenticate('Digest realm="x"'), RtspParseError);
  });
});

const RFC7616 = {
  username: 'Mufasa', password: 'Circle of Life', realm: 'http-auth@example.org', method: 'GET', uri: '/dir/index.html',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', nc: 1, qop: 'auth' as const,
};

describe('Digest response', () => {
  it('matches RFC 2617 §3.5 (MD5, qop=auth)', () => {
    assert.equal(computeDigestResponse({
      username: 'Mufasa', password: 'Circle Of Life', realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      method: 'GET', uri: '/dir/index.html', qop: 'auth', nc: 1, cnonce: '0a4f113b',
    }), '6629fae49393a05397450978507c4ef1');
  });
  it('matches RFC 7616 §3.9.1 (MD5)', () => {
    assert.equal(computeDigestResponse({ ...RFC7616, algorithm: 'MD5' }), '8ca523f5e9506fed4657c9700eebdbec');
  });
  it('matches RFC 7616 §3.9.1 (SHA-256)', () => {
    assert.equal(computeDigestResponse({ ...RFC7616, algorithm: 'SHA-256' }), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });
  it('answers a live555-style challenge without qop (RFC 2069 form)', () => {
    const auth = buildAuthorization({ scheme: 'Digest', realm: 'LIVE555 Streaming Media', nonce: 'abc' },
      { username: 'admin', password: 'pw' }, 'DESCRIBE', 'rtsp://10.0.0.2:554/stream1');
    assert.ok(auth.scheme === 'Digest');
    assert.equal(auth.qop, undefined);
    assert.equal(auth.response, computeDigestResponse({ username: 'admin', password: 'pw', realm: 'LIVE555 Streaming Media', nonce: 'abc', method: 'DESCRIBE', uri: 'rtsp://10.0.0.2:554/stream1' }));
  });
  it('answers a qop=auth challenge with nc and cnonce and keeps opaque', () => {
    const challenge = parseAuthenticate('Digest realm="http-auth@example.org", qop="auth", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="o"');
    const auth = buildAuthorization(challenge, { username: 'Mufasa', password: 'Circle of Life' }, 'GET', '/dir/index.html', { cnonce: RFC7616.cnonce, nc: 1 });
    assert.ok(auth.scheme === 'Digest');
    assert.equal(auth.response, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    assert.equal(auth.opaque, 'o');
    assert.match(formatAuthorization(auth), /qop=auth, nc=00000001, cnonce="f2\/wE4/);
  });
});

describe('Authorization', () => {
  const table: Array<[string, string, AuthorizationHeader]> = [
    ['RFC 7617 §2 Basic', 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==', { scheme: 'Basic', username: 'Aladdin', password: 'open sesame' }],
    ['RFC 2617 §3.5 Digest', 'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
      'uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    { scheme: 'Digest', username: 'Mufasa', realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', uri: '/dir/index.html',
      qop: 'auth', nc: 1, cnonce: '0a4f113b', response: '6629fae49393a05397450978507c4ef1', opaque: '5ccc069c403ebaf9f0171e9517f40e41' }],
    ['VLC/live555 client (RTSPClient.cpp format)', 'Digest username="admin", realm="LIVE555 Streaming Media", nonce="abc", uri="rtsp://10.0.0.2:554/stream1", response="0123456789abcdef0123456789abcdef"',
      { scheme: 'Digest', username: 'admin', realm: 'LIVE555 Streaming Media', nonce: 'abc', uri: 'rtsp://10.0.0.2:554/stream1', response: '0123456789abcdef0123456789abcdef' }],
  ];
  for (const [source, value, expected] of table) {
    it(`parses ${source}`, () => assert.deepEqual(parseAuthorization(value), expected));
    it(`round-trips ${source}`, () => assert.deepEqual(parseAuthorization(formatAuthorization(expected)), expected));
  }
  it('rejects malformed credentials', () => {
    for (const bad of ['Basic !!!', 'Basic Zm9v', 'Digest username="a"', 'Negotiate abc', '']) {
      assert.throws(() => parseAuthorization(bad), RtspParseError, bad);
    }
  });
});

describe('auth header fuzz', () => {
  const seeds = ['Digest realm="r", nonce="n", qop="auth", opaque="o", algorithm=MD5', 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==',
    'Digest username="Mufasa", realm="r", nonce="n", uri="/", response="x", nc=00000001, cnonce="c", qop=auth'];
  const input = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.tuple(fc.constantFrom(...seeds), fc.string({ maxLength: 6 }), fc.nat()).map(([s, ins, pos]) => s.slice(0, pos % (s.length + 1)) + ins + s.slice(pos % (s.length + 1))),
  );
  for (const [name, parse] of [['parseAuthenticate', parseAuthenticate], ['parseAuthorization', parseAuthorization]] as const) {
    it(`${name} never throws anything but RtspParseError`, () => {
      fc.assert(fc.property(input, (v) => {
        try {
          parse(v);
        } catch (err) {
          assert.ok(err instanceof RtspParseError, String(err));
        }
      }), { numRuns: 3000 });
    });
  }
});
