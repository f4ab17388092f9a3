import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { START_DTS_GUESS, delay, ffmpegDecodeRtsp, ffmpegPushRtmp, ffmpegRecordRtsp, freeTcpPort, killAll, waitFor } from '@streamgate/testing';
import { ClusterInfra, ServiceProcess, ingestEnv, startClusterInfra, startService } from './cluster';

/**
 * Issue #11 item 4 in distributed mode: the demand of a reader on rtsp-egress (its own
 * process) reaches the ingest process that owns the on-demand camera over NATS
 * (`ingest.<s>.demand`), among two ingest instances; no camera session while nobody reads,
 * one while a reader plays, none again after `on_demand_close_after`.
 *
 * A published backup (`publish:<key>`) crosses NATS the same way: the RTMP push lands on one
 * ingest instance while the camera stream is owned by the other, whose relay takes the key's
 * description and codec units over the bus.
 */
const CAMERAS = ['od1', 'od2'];
const CLOSE_AFTER_S = 3;

describe('distributed on-demand cameras: the demand crosses NATS to the owning ingest', { timeout: 300_000 }, () => {
  let infra: ClusterInfra;
  const services: ServiceProcess[] = [];

  const status = async (name: string): Promise<Record<string, unknown>> =>
    (await (await fetch(`http://127.0.0.1:${infra.ports.api}/api/streams/${name}`)).json()) as Record<string, unknown>;

  before(async () => {
    infra = await startClusterInfra(CAMERAS);
    // One after another: five Node processes starting at once on a loaded 2-core machine missed readiness bounds.
    for (const name of ['packetizer', 'rtsp-egress', 'control-api'] as const) services.push(await startService(name, infra.base));
    services.push(await startService('ingest', await ingestEnv(infra.base)), await startService('ingest', await ingestEnv(infra.base)));
    for (const name of CAMERAS) {
      const res = await fetch(`http://127.0.0.1:${infra.ports.api}/api/streams`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, rtsp_url: infra.cameras.url(name), transport: 'tcp', on_demand: true, on_demand_close_after: CLOSE_AFTER_S }),
      });
      assert.equal(res.status, 201, await res.text());
    }
  });

  after(async () => {
    for (const s of services) await s.stop().catch(() => undefined);
    await killAll();
    await infra?.stop();
  });

  test('no camera session at rest; a reader on egress wakes the camera through its owner; released after the idle time', async (t) => {
    const owners = new Map<string, string>();
    for (const name of CAMERAS) {
      const s = await waitFor(async () => {
        const x = await status(name);
        return x.idle === true ? x : undefined;
      }, 30_000, `${name} idle under an owner`, 250);
      assert.equal(s.connected, false);
      owners.set(name, String(await infra.store.get(`leases/ingest/${name}`)));
    }
    await delay(3000);
    for (const name of CAMERAS) assert.equal(infra.cameras.sessions()[name]?.sessions ?? 0, 0, `${name} pulled while nobody reads`);

    for (const name of CAMERAS) {
      const r = await ffmpegDecodeRtsp(`rtsp://127.0.0.1:${infra.ports.rtsp}/${name}`, { transport: 'tcp', seconds: 4 });
      assert.equal(r.exitCode, 0, r.stderr.slice(-1500));
      assert.ok(r.frames.video >= 50, `${name}: decoded ${r.frames.video} frames`);
      const after = await status(name);
      assert.equal(after.source_switches, 0);
      await infra.cameras.waitForSessions((m) => (m[name]?.sessions ?? 0) === 0, CLOSE_AFTER_S * 1000 + 15_000);
      t.diagnostic(`${name}: owner ${owners.get(name)}; first frame after ${Math.round(r.firstFrameMs ?? -1)} ms`);
    }
  });

  test('published backup: the push lands on one ingest, the stream is owned by the other; readers get the push through the relay', async (t) => {
    const deadPort = await freeTcpPort();
    const res = await fetch(`http://127.0.0.1:${infra.ports.api}/api/streams`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'relayed', sources: [`rtsp://127.0.0.1:${deadPort}/gone`, 'publish:site_push'], transport: 'tcp' }),
    });
    assert.equal(res.status, 201, await res.text());
    const owner = await waitFor(async () => {
      const v = await infra.store.get('leases/ingest/relayed');
      return v === undefined ? undefined : String(v);
    }, 30_000, 'relayed owned', 250);
    const ingests = services.filter((s) => s.name === 'ingest');
    const other = ingests.find((s) => !owner.includes(`-${s.proc.child.pid}-`));
    assert.ok(other && ingests.length === 2, `owner ${owner}: the other ingest instance`);
    ffmpegPushRtmp(`rtmp://127.0.0.1:${other.env.RTMP_PORT}/live/site_push`, { clip: infra.clip.flv, loop: true });
    const relayed = await waitFor(async () => {
      const x = await status('relayed');
      return x.active_source === 1 && x.playing === true && x.transport === 'rtmp' ? x : undefined;
    }, 30_000, 'relayed plays the push', 250);
    const r = await ffmpegDecodeRtsp(`rtsp://127.0.0.1:${infra.ports.rtsp}/relayed`, { transport: 'tcp', seconds: 4 });
    assert.equal(r.exitCode, 0, r.stderr.slice(-1500));
    assert.ok(r.frames.video >= 50, `decoded ${r.frames.video} frames of the push`);
    assert.deepEqual(relayed.sources, [`rtsp://127.0.0.1:${deadPort}/gone`, 'publish:site_push']);
    // A recorder of the relayed push (B-frames + AAC, through NATS) records with -c copy.
    const rec = await ffmpegRecordRtsp(`rtsp://127.0.0.1:${infra.ports.rtsp}/relayed`, { transport: 'tcp', format: 'mpegts', seconds: 3 });
    assert.equal(rec.exitCode, 0, rec.stderr.slice(-1500));
    assert.deepEqual(rec.timestampComplaints.filter((l) => !START_DTS_GUESS.test(l)), []);
    assert.deepEqual(rec.timing.problems, [], 'recorded timestamps');
    assert.ok(rec.packets.video >= 50 && rec.packets.audio > 0, JSON.stringify(rec.packets));
    t.diagnostic(`stream owned by ${owner}, push on the other instance; first frame after ${Math.round(r.firstFrameMs ?? -1)} ms`);
  });
});
