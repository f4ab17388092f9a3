/**
 * Encryption on every port with a self-signed certificate made by the test (openssl CLI):
 * ffmpeg pushes rtmps:// and reads rtsps:// (its TLS verification is off by default),
 * GStreamer rtspsrc reads rtsps:// (tls-validation-flags=0), the API and HLS answer HTTPS only, an
 * rtsps:// camera is pulled over TLS with per-camera verification, and a renewed certificate
 * is served to new connections without a restart.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import {
  TestCertificate, TrackedProcess, delay, ffmpegDecodeRtsp, ffmpegPushRtmp, gstPlayRtsp, killAll, makeSelfSignedCertificate, spawnTracked, waitFor,
} from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { renderClip, startTestGateway, waitForStream } from './gateway-harness';

/** One HTTPS request to 127.0.0.1 verified against the test's CA (SNI localhost); the body as text. */
function httpsRequest(port: number, path: string, ca: string, method = 'GET', body?: unknown, timeoutMs = 5000): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({
      host: '127.0.0.1', port, path, method, ca, servername: 'localhost',
      headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {},
    }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(data);
  });
}

async function httpsJson(port: number, path: string, ca: string, method = 'GET', body?: unknown): Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> {
  const r = await httpsRequest(port, path, ca, method, body);
  return { status: r.status, headers: r.headers, body: r.text ? JSON.parse(r.text) : undefined };
}

/** The SHA-256 fingerprint a fresh TLS connection to `port` is served. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(sock.getPeerX509Certificate()?.fingerprint256 ?? '');
      sock.destroy();
    });
    sock.on('error', reject);
  });
}

describe('TLS: RTSPS, RTMPS, HTTPS, rtsps:// cameras, certificate reload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-tls-'));
  let cert: TestCertificate;
  let ca: string;
  let gw: Gateway;
  let pusher: TrackedProcess;
  let rtspsPort: number;

  before(async () => {
    cert = makeSelfSignedCertificate(dir);
    ca = readFileSync(cert.certFile, 'utf8');
    const clip = await renderClip({ seconds: 4, audio: true });
    gw = await startTestGateway({
      TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile, TLS_RELOAD_INTERVAL_MS: 200, RTSPS_PORT: 0, RTMPS_PORT: 0,
    });
    assert.ok(gw.rtspsPort && gw.rtmpsPort, 'RTSPS and RTMPS listen when a certificate is configured');
    rtspsPort = gw.rtspsPort;
    pusher = ffmpegPushRtmp(`rtmps://127.0.0.1:${gw.rtmpsPort}/live/secure`, { clip, loop: true });
    await waitForStream(gw.rtspPort, 'secure', 15_000);
  });
  after(async () => {
    await killAll();
    await gw?.stop();
  });

  test('ffmpeg pushes rtmps:// and reads rtsps:// (TCP interleaved inside TLS) without a decode error', async () => {
    const r = await ffmpegDecodeRtsp(`rtsps://127.0.0.1:${rtspsPort}/secure`, { seconds: 3 });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(r.frames.video >= 40, `video frames ${r.frames.video}`);
    assert.ok(r.frames.audio > 0, `audio frames ${r.frames.audio}`);
    assert.ok(!pusher.stderr().includes('Error'), pusher.stderr());
  });

  test('GStreamer rtspsrc reads rtsps:// with tls-validation-flags=0', async () => {
    const r = await gstPlayRtsp(`rtsps://127.0.0.1:${rtspsPort}/secure`, { seconds: 3, protocols: 'tcp', tlsValidationFlags: 0 });
    assert.deepEqual(r.errors, []);
    assert.ok(r.reachedPlaying);
    assert.ok(r.buffers.video > 20, `decoded video buffers ${r.buffers.video}`);
  });

  test('the control API is HTTPS only, with HSTS', async () => {
    const health = await httpsJson(gw.httpPort, '/api/health', ca);
    assert.equal(health.status, 200);
    assert.match(String(health.headers['strict-transport-security']), /max-age=/);
    await assert.rejects(fetch(`http://127.0.0.1:${gw.httpPort}/api/health`, { signal: AbortSignal.timeout(3000) }));
    // The web console links HLS with the scheme the HLS port speaks (https when a certificate is set).
    const urls = await httpsJson(gw.httpPort, '/api/console', ca);
    assert.equal(urls.status, 200);
    assert.match(String((urls.body as { hls_base?: unknown }).hls_base), /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  test('HLS is HTTPS only on its port: ffmpeg plays the LL-HLS playlist over TLS without a decode error', async () => {
    const hls = gw.hlsPort ?? 0;
    assert.ok(hls > 0);
    const playlist = await waitFor(async () => {
      const r = await httpsRequest(hls, '/secure/index.m3u8', ca, 'GET', undefined, 15_000);
      return r.status === 200 ? r.text : undefined;
    }, 20_000, 'the playlist over HTTPS');
    assert.match(playlist, /^#EXTM3U/);
    // ffmpeg's own TLS stack, verification on against the test's CA.
    const ff = await new Promise<{ code: number | null; stderr: string; frames: number }>((resolve) => {
      const p = spawnTracked('ffmpeg', ['-hide_banner', '-v', 'error', '-stats', '-ca_file', cert.certFile, '-tls_verify', '1',
        '-i', `https://localhost:${hls}/secure/index.m3u8`, '-t', '2', '-f', 'null', '-']);
      void p.exited.then((st) => resolve({ code: st.code, stderr: p.stderr(), frames: Number([...p.stderr().matchAll(/frame=\s*(\d+)/g)].pop()?.[1] ?? 0) }));
    });
    assert.equal(ff.code, 0, ff.stderr);
    assert.ok(ff.frames >= 25, `frames over HTTPS HLS: ${ff.frames}\n${ff.stderr}`);
    assert.doesNotMatch(ff.stderr, /error while decoding|Invalid data/i);
    await assert.rejects(fetch(`http://127.0.0.1:${hls}/secure/index.m3u8`, { signal: AbortSignal.timeout(3000) }), 'no plain HTTP on the HLS port');
  });

  test('an rtsps:// camera is pulled over TLS; certificate verification is per camera', async () => {
    const url = `rtsps://127.0.0.1:${rtspsPort}/secure`;
    const added = await httpsJson(gw.httpPort, '/api/streams', ca, 'POST', { name: 'mirror', rtsp_url: url, transport: 'tcp', tls_verify: false });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const strict = await httpsJson(gw.httpPort, '/api/streams', ca, 'POST', { name: 'strict', rtsp_url: url, transport: 'tcp' });
    assert.equal(strict.status, 201);
    await waitFor(async () => ((await httpsJson(gw.httpPort, '/api/streams/mirror', ca)).body as { playing?: boolean }).playing || undefined, 15_000, 'mirror playing');
    const r = await ffmpegDecodeRtsp(`rtsp://127.0.0.1:${gw.rtspPort}/mirror`, { seconds: 2 });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(r.frames.video >= 25, `frames through the rtsps:// pull: ${r.frames.video}`);
    const err = await waitFor(async () => ((await httpsJson(gw.httpPort, '/api/streams/strict', ca)).body as { last_error?: string | null }).last_error ?? undefined, 15_000, 'strict last_error');
    assert.match(err, /SELF_SIGNED|self[- ]signed|certificate/i);
  });

  test('a renewed certificate is served to new connections on every TLS port without a restart', async () => {
    const before = await servedFingerprint(rtspsPort);
    assert.equal(before, new X509Certificate(ca).fingerprint256);
    // Written beside, then renamed over: the way a Secret volume or cert-manager swaps files.
    const next = makeSelfSignedCertificate(dir, 'streamgate-renewed', 'next');
    renameSync(next.keyFile, cert.keyFile);
    renameSync(next.certFile, cert.certFile);
    const renewed = new X509Certificate(readFileSync(cert.certFile)).fingerprint256;
    assert.notEqual(renewed, before);
    await waitFor(async () => ((await servedFingerprint(rtspsPort)) === renewed ? true : undefined), 5000, 'RTSPS serving the renewed certificate');
    assert.equal(await servedFingerprint(gw.rtmpsPort ?? 0), renewed);
    assert.equal(await servedFingerprint(gw.httpPort), renewed);
    assert.equal(await servedFingerprint(gw.hlsPort ?? 0), renewed);
    // Streams keep flowing over the new certificate.
    await delay(100);
    const r = await ffmpegDecodeRtsp(`rtsps://127.0.0.1:${rtspsPort}/secure`, { seconds: 1 });
    assert.equal(r.exitCode, 0, r.stderr);
  });
});
