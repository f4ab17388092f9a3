import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GstRtspServer, killAll, waitFor } from '@streamgate/testing';
import { decodeWithFfmpeg, rtspStatus, waitForStream } from './gateway-harness';
import { CAMERA, PullGateway, cameraConnections, startCamera, startPullGateway } from './rtsp-pull-harness';

/**
 * Issue "Operate it for real", item 6: config.json is reloaded when the file changes (and on
 * SIGHUP) without a restart. A stream appears, changes and disappears within 2 s of the
 * write; a reader of a stream the edit did not touch decodes on without a gap (its camera is
 * not even reconnected); an invalid file is refused, logged, and the running config kept.
 */
const APPLY_WITHIN_MS = 2000;
const READ_SECONDS = 14;
const PASSWORD_B1 = 'pw-reload-B1-S3cret';
const PASSWORD_B2 = 'pw-reload-B2-S3cret';

describe('hot reload of config.json', { timeout: 150_000 }, () => {
  let pg: PullGateway;
  let camA: GstRtspServer;
  let camB: GstRtspServer;
  let dir: string;
  let file: string;
  let credentials: string;

  /** Replaces the file the way editors and ConfigMaps do: write aside, rename over. */
  const writeConfig = (streams: unknown[] | string): void => {
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, typeof streams === 'string' ? streams : JSON.stringify({ streams }, null, 2));
    renameSync(tmp, file);
  };
  const names = async (): Promise<string[]> =>
    ((await pg.api('GET', '/api/streams')).json.streams as Array<{ name: string }>).map((s) => s.name).sort();
  /** Milliseconds until `predicate` holds for the stream list; fails past the limit. */
  const within = async (what: string, predicate: (list: Array<Record<string, unknown>>) => boolean): Promise<number> => {
    const t0 = Date.now();
    await waitFor(async () => (predicate((await pg.api('GET', '/api/streams')).json.streams as Array<Record<string, unknown>>) ? true : undefined),
      APPLY_WITHIN_MS + 3000, what, 50);
    const ms = Date.now() - t0;
    assert.ok(ms < APPLY_WITHIN_MS, `${what} took ${ms} ms`);
    return ms;
  };

  const streamA = (): Record<string, unknown> => ({ name: 'reload_a', rtsp_url: camA.url('cam') });
  const streamB = (transport: string): Record<string, unknown> => ({ name: 'reload_b', rtsp_url: camB.url('b'), username: 'viewer', transport });

  before(async () => {
    camA = await startCamera();
    camB = await startCamera({ mounts: ['b', 'c'] });
    dir = mkdtempSync(join(tmpdir(), 'sg-reload-'));
    file = join(dir, 'config.json');
    credentials = join(dir, 'cameras.json');
    writeFileSync(credentials, JSON.stringify({ streams: [{ name: 'reload_b', password: PASSWORD_B1 }] }));
    writeConfig([streamA(), streamB('auto')]);
    pg = await startPullGateway({ LOG_LEVEL: 'info', STREAMS_CONFIG: file, STREAMS_CREDENTIALS: credentials });
  });

  after(async () => {
    await pg?.gw.stop();
    await Promise.all([camA?.stop(), camB?.stop()]);
    await killAll();
  });

  test('add, change, remove within 2 s; the untouched stream reads on without a gap; a bad file keeps the config', async () => {
    await pg.waitStatus('reload_a', 'playing', (s) => s.playing === true);
    await pg.waitStatus('reload_b', 'playing', (s) => s.playing === true);
    await waitForStream(pg.gw.rtspPort, 'reload_a');
    const connectionsA = cameraConnections(camA.process);
    const reader = decodeWithFfmpeg(`rtsp://127.0.0.1:${pg.gw.rtspPort}/reload_a`, 'tcp', READ_SECONDS);
    await new Promise((r) => setTimeout(r, 1500));

    // Appears.
    writeConfig([streamA(), streamB('auto'), { name: 'reload_c', rtsp_url: camB.url('c') }]);
    const added = await within('reload_c appears', (l) => l.some((s) => s.name === 'reload_c'));
    // Changes (reload_b pinned to TCP: its puller reconnects with the new setting).
    writeConfig([streamA(), streamB('tcp'), { name: 'reload_c', rtsp_url: camB.url('c') }]);
    const changed = await within('reload_b pulls over TCP', (l) => l.some((s) => s.name === 'reload_b' && s.transport === 'tcp' && s.playing === true));
    // Refused: not JSON, then an invalid entry. Nothing changes, the reason is logged.
    const before = await names();
    writeConfig('{"streams": [ this is not json');
    await waitFor(() => (pg.logs.some((l) => l.includes('config file refused') && l.includes('not valid JSON')) ? true : undefined), APPLY_WITHIN_MS, 'refusal logged');
    writeConfig([streamA(), { name: 'bad name!', rtsp_url: camB.url('c') }]);
    await waitFor(() => (pg.logs.some((l) => l.includes('config file refused') && l.includes('streams[1]')) ? true : undefined), APPLY_WITHIN_MS, 'invalid entry refused');
    assert.deepEqual(await names(), before, 'the running config is kept');
    // Disappears (reload_b and reload_c leave the file).
    writeConfig([streamA()]);
    const removed = await within('reload_b and reload_c disappear', (l) => !l.some((s) => s.name === 'reload_b' || s.name === 'reload_c'));

    const r = await reader;
    assert.equal(r.code, 0, r.stderr);
    // A gap would lose frames (or end the read): every second of the read decoded, give or take the first GOP.
    assert.ok(r.video >= CAMERA.fps * READ_SECONDS - CAMERA.gop, `reload_a: ${r.video} frames in ${READ_SECONDS} s`);
    assert.equal(cameraConnections(camA.process), connectionsA, 'the untouched camera was not reconnected');
    const a = await pg.status('reload_a');
    assert.equal(a.reconnects, 0);
    process.stdout.write(`hot reload applied in: added ${added} ms, changed ${changed} ms, removed ${removed} ms\n`);
    for (const line of pg.logs) assert.ok(!line.includes(PASSWORD_B1), `no password in logs: ${line.slice(0, 200)}`);
  });

  test('SIGHUP re-reads the file and the credentials beside it (a rotated Secret)', async () => {
    writeConfig([streamA(), streamB('auto')]);
    await pg.waitStatus('reload_b', 'playing', (s) => s.playing === true, 10_000);
    // Sealed at rest (SECRETS_KEY): opened with the gateway's own key.
    const stored = async (): Promise<string | undefined> => {
      const sealed = (JSON.parse((await pg.gw.ctx.store.get('streams/reload_b')) ?? '{}') as { password?: string }).password;
      return sealed === undefined ? undefined : pg.gw.ctx.secrets.open(sealed);
    };
    assert.equal(await stored(), PASSWORD_B1);
    // cameras.json is not watched: only the signal picks the new password up.
    writeFileSync(credentials, JSON.stringify({ streams: [{ name: 'reload_b', password: PASSWORD_B2 }] }));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await stored(), PASSWORD_B1);
    process.kill(process.pid, 'SIGHUP');
    await waitFor(async () => ((await stored()) === PASSWORD_B2 ? true : undefined), APPLY_WITHIN_MS, 'the new password stored');
    assert.ok(pg.logs.some((l) => l.includes('"trigger":"SIGHUP"') && l.includes('streams config reloaded')));
    for (const line of pg.logs) assert.ok(!line.includes(PASSWORD_B2), `no password in logs: ${line.slice(0, 200)}`);
  });
});

/**
 * Issue #12 with issue 14's reloader: the `users` of config.json are one more subscriber of the
 * config file's one watcher. Permissions change on the API and on RTSP within 2 s of the write,
 * in the same running gateway; a bad users list refuses the file and keeps the running list.
 */
describe('hot reload of the users in config.json', { timeout: 60_000 }, () => {
  let pg: PullGateway;
  let file: string;
  const OPS_PASS = 'ops-reload-S3cret';
  const VIEWER_PASS = 'viewer-reload-S3cret';

  const writeUsers = (users: unknown): void => {
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, typeof users === 'string' ? users : JSON.stringify({ streams: [], users }, null, 2));
    renameSync(tmp, file);
  };
  const ops = { user: 'ops', pass: OPS_PASS, permissions: [{ action: 'api' }] };
  const viewer = (permissions: unknown[]): unknown => ({ user: 'viewer', pass: VIEWER_PASS, permissions });
  const basic = (user: string, pass: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
  const apiStatus = async (headers: Record<string, string> = {}): Promise<number> =>
    (await fetch(`http://127.0.0.1:${pg.gw.httpPort}/api/streams`, { headers })).status;
  /** Milliseconds until `probe` holds; fails past APPLY_WITHIN_MS. */
  const within = async (what: string, probe: () => Promise<boolean>): Promise<number> => {
    const t0 = Date.now();
    await waitFor(async () => ((await probe()) ? true : undefined), APPLY_WITHIN_MS + 3000, what, 50);
    const ms = Date.now() - t0;
    assert.ok(ms < APPLY_WITHIN_MS, `${what} took ${ms} ms`);
    return ms;
  };

  before(async () => {
    file = join(mkdtempSync(join(tmpdir(), 'sg-users-reload-')), 'config.json');
    writeUsers([ops, viewer([{ action: 'read', path: 'cam_a' }])]);
    pg = await startPullGateway({ LOG_LEVEL: 'info', STREAMS_CONFIG: file });
  });

  after(async () => {
    await pg?.gw.stop();
    await killAll();
  });

  test('a permission given, taken and a user removed apply without a restart; a bad list is refused', async () => {
    const access = pg.gw.ctx.access;
    assert.equal(await apiStatus(basic('ops', OPS_PASS)), 200);
    assert.equal(await apiStatus(basic('viewer', VIEWER_PASS)), 403, 'viewer has no api permission yet');
    assert.equal(await apiStatus(), 401);
    assert.equal(await rtspStatus(pg.gw.rtspPort, 'DESCRIBE', 'cam_b'), 401, 'anonymous cannot read');

    // viewer gets api, anyone gets read: both apply to the running gateway.
    writeUsers([ops, viewer([{ action: 'read', path: 'cam_a' }, { action: 'api' }]), { user: 'any', permissions: [{ action: 'read' }] }]);
    const given = await within('viewer gets the API', async () => (await apiStatus(basic('viewer', VIEWER_PASS))) === 200);
    assert.equal(await rtspStatus(pg.gw.rtspPort, 'DESCRIBE', 'cam_b'), 404, 'anonymous may read now: the stream just does not exist');

    // A list that does not compile: the file is refused whole, the running users stay.
    writeUsers([ops, { user: 'viewer', pass: VIEWER_PASS, ips: ['not-an-ip'], permissions: [{ action: 'api' }] }]);
    await waitFor(() => (pg.logs.some((l) => l.includes('config file refused') && l.includes('users[1] (viewer)')) ? true : undefined), APPLY_WITHIN_MS + 3000, 'refusal logged');
    assert.equal(await apiStatus(basic('viewer', VIEWER_PASS)), 200, 'the running list is kept');

    // ops removed, any's read taken away.
    writeUsers([viewer([{ action: 'api' }])]);
    const removed = await within('ops is gone', async () => (await apiStatus(basic('ops', OPS_PASS))) === 401);
    assert.equal(await rtspStatus(pg.gw.rtspPort, 'DESCRIBE', 'cam_b'), 401);
    assert.equal(pg.gw.ctx.access, access, 'the same running gateway (no restart)');
    assert.ok(pg.logs.some((l) => l.includes('users list reloaded')));
    process.stdout.write(`users reload applied in: given ${given} ms, removed ${removed} ms\n`);
    for (const line of pg.logs) assert.ok(!line.includes(OPS_PASS) && !line.includes(VIEWER_PASS), `no password in logs: ${line.slice(0, 200)}`);
  });
});
