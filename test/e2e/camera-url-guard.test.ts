/**
 * The camera URL guard and the credential rules end to end, with the real ingest pulling:
 * - SSRF: CAMERA_ALLOWED_NETWORKS without loopback refuses a loopback camera (400); allowed, a
 *   camera behind a host name resolving to loopback plays; a name that re-resolves to a
 *   metadata address by connect time (DNS rebinding) is refused at connect, in last_error.
 * - Credential exfiltration by URL change: moving a camera to another host without sending the
 *   credentials again sends no Authorization to the new host (a trap RTSP server that
 *   challenges with Basic records what it gets).
 * Host names are resolved by a hook given to the gateway (no /etc/hosts edits).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, createServer } from 'node:net';
import { GstRtspServer, delay, ffprobeRtsp, killAll, startGstRtspServer, waitFor } from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { startTestGateway } from './gateway-harness';

const CAMERA_PW = 'victim-camera-pw';
const names = new Map<string, string[]>();

function gateway(extra: Record<string, string | number> = {}): Promise<Gateway> {
  return startTestGateway({ LOG_LEVEL: 'silent', ...extra }, {
    resolveHost: async (host) => {
      const found = names.get(host);
      if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return found;
    },
  });
}

async function api(gw: Gateway, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
    method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** An RTSP server that answers everything with a Basic challenge and records each request head. */
function trap(host: string): Promise<{ server: Server; port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((sock) => {
    let buf = '';
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        requests.push(head);
        const cseq = /CSeq:\s*(\d+)/i.exec(head)?.[1] ?? '0';
        sock.write(`RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: Basic realm="trap"\r\n\r\n`);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, host, () => {
    const address = server.address();
    resolve({ server, port: typeof address === 'object' && address ? address.port : 0, requests });
  }));
}

describe('camera URL guard and credentials, end to end', () => {
  let camera: GstRtspServer;
  let gw: Gateway;
  before(async () => {
    camera = await startGstRtspServer({ mounts: ['cam'], auth: { method: 'basic', user: 'admin', password: CAMERA_PW }, audio: false });
    gw = await gateway({ CAMERA_ALLOWED_NETWORKS: '127.0.0.0/8' });
  });
  after(async () => {
    await gw?.stop();
    await killAll();
    await camera?.stop();
  });

  test('a loopback camera is refused when CAMERA_ALLOWED_NETWORKS leaves loopback out', async () => {
    const strict = await gateway({ CAMERA_ALLOWED_NETWORKS: '10.0.0.0/8' });
    try {
      const r = await api(strict, 'POST', '/api/streams', { name: 'lo', rtsp_url: camera.url('cam'), enabled: false });
      assert.equal(r.status, 400);
      assert.match(String(r.json.message), /127\.0\.0\.1 is outside CAMERA_ALLOWED_NETWORKS/);
    } finally {
      await strict.stop();
    }
  });

  test('allowed by configuration, a camera behind a name resolving to loopback plays', async () => {
    names.set('camera.test', ['127.0.0.1']);
    const url = camera.url('cam').replace('127.0.0.1', 'camera.test');
    const r = await api(gw, 'POST', '/api/streams', { name: 'named', rtsp_url: url, username: 'admin', password: CAMERA_PW, transport: 'tcp' });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    await waitFor(async () => ((await api(gw, 'GET', '/api/streams/named')).json.playing === true ? true : undefined), 20_000, 'named camera playing');
    const probe = await ffprobeRtsp(`rtsp://127.0.0.1:${gw.rtspPort}/named`);
    assert.ok(probe.streams.some((s) => s.codec_type === 'video'));
  });

  test('DNS rebinding: a name that resolves to a metadata address by connect time is refused at connect', async () => {
    names.set('rebind.test', ['127.0.0.1']);
    const url = camera.url('cam').replace('127.0.0.1', 'rebind.test');
    assert.equal((await api(gw, 'POST', '/api/streams', { name: 'rebind', rtsp_url: url, enabled: false })).status, 201);
    names.set('rebind.test', ['169.254.169.254']);
    assert.equal((await api(gw, 'POST', '/api/streams/rebind/start')).status, 200);
    const err = await waitFor(async () => (await api(gw, 'GET', '/api/streams/rebind')).json.last_error as string | undefined ?? undefined, 15_000, 'last_error');
    assert.match(err, /rebind\.test \(169\.254\.169\.254\) is a link-local or metadata address/);
  });

  test('credential exfiltration by URL change: the new host gets no Authorization', async () => {
    const r = await api(gw, 'POST', '/api/streams', { name: 'victim', rtsp_url: camera.url('cam'), username: 'admin', password: CAMERA_PW, transport: 'tcp' });
    assert.equal(r.status, 201);
    await waitFor(async () => ((await api(gw, 'GET', '/api/streams/victim')).json.playing === true ? true : undefined), 20_000, 'victim playing');
    const t = await trap('127.0.0.2');
    try {
      // The attacker's change: only the URL, to a host they control.
      const moved = await api(gw, 'POST', '/api/config/streams', { streams: [{ name: 'victim', rtsp_url: `rtsp://127.0.0.2:${t.port}/cam`, transport: 'tcp' }] });
      assert.equal(moved.status, 200);
      await waitFor(() => (t.requests.length >= 2 ? true : undefined), 15_000, 'ingest to reach the new host');
      await delay(500);
      for (const head of t.requests) assert.ok(!/^Authorization:/im.test(head), `credentials sent to the new host: ${head}`);
      const status = (await api(gw, 'GET', '/api/streams/victim')).json;
      assert.match(String(status.last_error), /401|username\/password/);
    } finally {
      t.server.close();
    }
  });
});
