import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { ConfigError, loadConfig } from '../config/config';
import { TlsConfigError, TlsCredentials } from './tls-credentials';

/** openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=<cn> */
function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', `/CN=${name}`, '-keyout', key, '-out', cert], { stdio: 'pipe', timeout: 15_000 });
  return { cert, key };
}

function served(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(s.getPeerX509Certificate()?.fingerprint256 ?? '');
      s.destroy();
    });
    s.on('error', reject);
  });
}

describe('TlsCredentials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-tlsc-'));
  const a = selfSigned(dir, 'a');
  const b = selfSigned(dir, 'b');

  test('refuses at start a missing file, a non-certificate and a key of another certificate, naming the setting', () => {
    const opts = { reloadIntervalMs: 60_000 };
    assert.throws(() => new TlsCredentials({ certFile: join(dir, 'none.crt'), keyFile: a.key, ...opts }), /cannot read the TLS certificate or key: ENOENT/);
    writeFileSync(join(dir, 'junk.crt'), 'not a certificate');
    assert.throws(() => new TlsCredentials({ certFile: join(dir, 'junk.crt'), keyFile: a.key, ...opts }), /TLS_CERT_FILE .* is not a PEM certificate/);
    assert.throws(() => new TlsCredentials({ certFile: a.cert, keyFile: b.key, ...opts }), (err: unknown) => err instanceof TlsConfigError && /TLS_KEY_FILE does not match TLS_CERT_FILE/.test(err.message) && !err.message.includes('PRIVATE KEY'));
  });

  test('a broken pair on reload keeps serving the previous certificate; a good pair is served to new connections', async () => {
    const certFile = join(dir, 'live.crt');
    const keyFile = join(dir, 'live.key');
    writeFileSync(certFile, readFileSync(a.cert));
    writeFileSync(keyFile, readFileSync(a.key));
    const errors: string[] = [];
    const reloads: string[] = [];
    const creds = new TlsCredentials({ certFile, keyFile, reloadIntervalMs: 60_000, onReloadError: (e) => errors.push(e.message), onReload: (i) => reloads.push(i.fingerprint) });
    const server = creds.createTlsServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const fpA = new X509Certificate(readFileSync(a.cert)).fingerprint256;
      const fpB = new X509Certificate(readFileSync(b.cert)).fingerprint256;
      assert.equal(await served(port), fpA);
      // Half a renewal: the new certificate with the old key.
      writeFileSync(certFile, readFileSync(b.cert));
      creds.reload();
      assert.match(errors[0] ?? '', /does not match/);
      assert.equal(await served(port), fpA, 'still the previous certificate');
      writeFileSync(keyFile, readFileSync(b.key));
      creds.reload();
      assert.deepEqual(reloads, [fpB]);
      assert.equal(await served(port), fpB);
      assert.equal(creds.fingerprint, fpB);
    } finally {
      server.close();
      creds.close();
    }
  });

  test('config: TLS_CERT_FILE and TLS_KEY_FILE go together; ports default to 8322 and 1936; a bad CAMERA_ALLOWED_NETWORKS or SECRETS_KEY names itself (the key redacted)', () => {
    assert.throws(() => loadConfig({ TLS_CERT_FILE: a.cert }, '/nonexistent/.env'), (err: unknown) => err instanceof ConfigError && /TLS_KEY_FILE is missing/.test(err.message));
    const c = loadConfig({ TLS_CERT_FILE: a.cert, TLS_KEY_FILE: a.key }, '/nonexistent/.env');
    assert.equal(c.RTSPS_PORT, 8322);
    assert.equal(c.RTMPS_PORT, 1936);
    assert.throws(() => loadConfig({ CAMERA_ALLOWED_NETWORKS: '10.0.0.0/8,not-a-cidr' }, '/nonexistent/.env'), /CAMERA_ALLOWED_NETWORKS=.*"not-a-cidr" is not a CIDR/);
    assert.throws(() => loadConfig({ SECRETS_KEY: 'topsecret' }, '/nonexistent/.env'), (err: unknown) =>
      err instanceof ConfigError && /SECRETS_KEY=<redacted>: must be 32 random bytes/.test(err.message) && !err.message.includes('topsecret'));
  });
});
