/**
 * Attacks on the media ports before any authentication (issue 12), each a named regression
 * test: RTMP memory amplification (RSS of the gateway process bounded with 100 slow
 * unauthenticated connections), slot exhaustion from one address while another still
 * publishes and reads, slow/trickling RTSP requests and connect-and-never-publish RTMP peers
 * dropped by their deadlines, and the metric series of ended RTMP pushes removed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Socket, connect } from 'node:net';
import { TrackedProcess, delay, ffmpegDecodeRtsp, killAll, waitFor } from '@streamgate/testing';
import type { Gateway } from '../../services/all-in-one';
import { GatewayProcess, startAllInOne } from '../bench/gateway-process';
import { pushClip, renderClip, startTestGateway, waitForStream } from './gateway-harness';

/** Resident set of a process, bytes (/proc/<pid>/status VmRSS). */
function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

interface Peer { socket: Socket; closed: Promise<number> }

function open(port: number, localAddress: string): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - t0)));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

/** RTMP plain handshake (C0+C1, then C2 = S1 echoed), §5.2. */
async function rtmpHandshake(peer: Peer): Promise<void> {
  let got = 0;
  const s1: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no S0+S1+S2')), 5000);
    peer.socket.on('data', (d: Buffer) => {
      if (got < 1 + 1536) s1.push(d);
      got += d.byteLength;
      if (got >= 1 + 1536 * 2) {
        clearTimeout(timer);
        resolve();
      }
    });
    peer.socket.write(Buffer.concat([Buffer.of(3), Buffer.alloc(1536)]));
  });
  peer.socket.write(Buffer.concat(s1).subarray(1, 1 + 1536));
}

/** A fmt-0 chunk header on chunk stream `csid` declaring a `length`-byte video message. */
function messageHeader(csid: number, length: number): Buffer {
  return Buffer.of(csid, 0, 0, 0, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff, 9, 1, 0, 0, 0);
}

describe('RTMP memory amplification before publish', () => {
  let gw: GatewayProcess;
  before(async () => {
    // The per-address cap is lifted here so that the 100 connections all get in: this measures
    // what each one can make the process hold, not the cap.
    gw = await startAllInOne({ RTMP_MAX_CONNECTIONS_PER_ADDRESS: '1000', RTMP_MAX_CONNECTIONS: '1000', RTMP_PUBLISH_TIMEOUT_MS: '60000' });
  });
  after(async () => {
    await killAll();
    await gw?.stop();
  });

  test('RSS stays bounded with 100 slow unauthenticated connections each trying to park 2 × 8 MiB of partial messages', async () => {
    await delay(1000);
    const baseline = rssBytes(gw.pid);
    const peers: Peer[] = [];
    for (let i = 0; i < 100; i++) {
      const peer = await open(gw.rtmpPort, '127.0.0.1');
      await rtmpHandshake(peer);
      peers.push(peer);
    }
    // Each peer starts two messages of nearly 8 MiB on two chunk streams (chunk size stays 128)
    // and sends 1 MiB of each, then trickles: what used to be held per connection until it
    // closed. Nearly: the largest message a publisher may send is the in-process bus's 8 MiB
    // payload less the envelope, so exactly 8 MiB would be refused by that limit alone and the
    // test would pass without the pre-publish limit (docs/security.md).
    const declared = (8 << 20) - (64 << 10);
    const filler = Buffer.alloc(128, 1);
    const fmt3 = (csid: number): Buffer => Buffer.of(0xc0 | csid);
    for (const peer of peers) {
      for (const csid of [4, 5]) {
        const parts: Buffer[] = [messageHeader(csid, declared), filler];
        for (let k = 1; k < 8192 && !peer.socket.destroyed; k++) parts.push(fmt3(csid), filler);
        peer.socket.write(Buffer.concat(parts));
      }
    }
    await delay(3000);
    const during = rssBytes(gw.pid);
    const stillOpen = peers.filter((p) => !p.socket.destroyed && p.socket.readyState === 'open').length;
    const grewMb = (during - baseline) / 2 ** 20;
    // Every peer was dropped as soon as it declared a message above the pre-publish limit.
    console.log(`rtmp amplification: baseline ${(baseline / 2 ** 20).toFixed(0)} MiB, with 100 peers ${(during / 2 ** 20).toFixed(0)} MiB (+${grewMb.toFixed(1)} MiB), ${stillOpen} still open`);
    assert.ok(grewMb < 64, `RSS grew by ${grewMb.toFixed(1)} MiB (baseline ${(baseline / 2 ** 20).toFixed(0)} MiB)`);
    const closedAfter = await Promise.all(peers.map((p) => Promise.race([p.closed, delay(5000).then(() => -1)])));
    assert.ok(closedAfter.every((ms) => ms >= 0), 'every peer that declared an oversized message was dropped');
  });

  test('below the pre-publish limit, a peer holds at most 2 × RTMP_PREAUTH_MAX_MESSAGE_BYTES and is dropped past it', async () => {
    const peer = await open(gw.rtmpPort, '127.0.0.1');
    await rtmpHandshake(peer);
    const filler = Buffer.alloc(128, 1);
    // Three 60 000-byte messages started on three chunk streams, none finished: 180 KB > 2 × 64 KiB.
    for (const csid of [4, 5, 6]) {
      const parts: Buffer[] = [messageHeader(csid, 60_000), filler];
      for (let k = 1; k < 460; k++) parts.push(Buffer.of(0xc0 | csid), filler);
      peer.socket.write(Buffer.concat(parts));
    }
    const ms = await Promise.race([peer.closed, delay(5000).then(() => -1)]);
    assert.ok(ms >= 0, 'dropped once its partial messages passed 2 × 64 KiB');
  });
});

describe('slot exhaustion from one address while another still publishes and reads', () => {
  let gw: Gateway;
  let clip: string;
  const attackers: Peer[] = [];
  before(async () => {
    clip = await renderClip({ seconds: 4, audio: false });
    // Global caps small enough that one address could fill them before per-address limits. The
    // deadlines are longer than the wait for the per-address cap below, so that check passes by
    // the cap alone (with 1.5 s deadlines it passed without caps: docs/security.md).
    gw = await startTestGateway({
      RTMP_MAX_CONNECTIONS: 60, RTMP_MAX_CONNECTIONS_PER_ADDRESS: 16, RTSP_MAX_SESSIONS: 20, RTSP_MAX_CONNECTIONS_PER_ADDRESS: 16,
      RTMP_PUBLISH_TIMEOUT_MS: 8000, RTSP_REQUEST_TIMEOUT_MS: 8000,
    });
  });
  after(async () => {
    for (const a of attackers) a.socket.destroy();
    await killAll();
    await gw?.stop();
  });

  test('127.0.0.2 opens 100 idle RTMP and 100 trickling RTSP connections; 127.0.0.1 still publishes and reads; the idle ones are dropped by their deadlines', async () => {
    const rtmpOpen = await Promise.all(Array.from({ length: 100 }, () => open(gw.rtmpPort, '127.0.0.2').catch(() => undefined)));
    const rtspOpen = await Promise.all(Array.from({ length: 100 }, () => open(gw.rtspPort, '127.0.0.2').catch(() => undefined)));
    for (const p of [...rtmpOpen, ...rtspOpen]) if (p) attackers.push(p);
    // The RTSP ones trickle a request one byte every 300 ms (each byte used to keep the slot).
    const request = Buffer.from('OPTIONS rtsp://127.0.0.1/x RTSP/1.0\r\nCSeq: 1\r\n\r\n');
    let at = 0;
    const trickle = setInterval(() => {
      for (const p of rtspOpen) if (p && !p.socket.destroyed) p.socket.write(request.subarray(at % request.byteLength, (at % request.byteLength) + 1));
      at++;
    }, 300);
    try {
      // The gateway refuses what is over the per-address cap at accept; on a loaded machine the
      // closes take a moment to reach this side, so wait for them (bounded) rather than a fixed 300 ms.
      const held = (peers: Array<Peer | undefined>): number => peers.filter((p) => p && !p.socket.destroyed).length;
      await waitFor(() => (held(rtmpOpen) <= 16 && held(rtspOpen) <= 16 ? true : undefined), 5000, 'connections over the per-address cap to be closed', 100)
        .catch(() => undefined);
      assert.ok(held(rtmpOpen) <= 16, `RTMP connections 127.0.0.2 holds: ${held(rtmpOpen)}`);
      assert.ok(held(rtspOpen) <= 16, `RTSP connections 127.0.0.2 holds: ${held(rtspOpen)}`);
      const pusher: TrackedProcess = pushClip(clip, gw.rtmpPort, 'legit');
      await waitForStream(gw.rtspPort, 'legit', 10_000);
      const r = await ffmpegDecodeRtsp(`rtsp://127.0.0.1:${gw.rtspPort}/legit`, { seconds: 2 });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.ok(r.frames.video >= 25, `frames read from 127.0.0.1: ${r.frames.video}`);
      await pusher.kill();
      // Connect-and-never-publish and never-finish-a-request peers lose their slots.
      await waitFor(() => (attackers.every((p) => p.socket.destroyed) ? true : undefined), 15_000, 'the attacker connections to be dropped by their 8 s deadlines', 200);
    } finally {
      clearInterval(trickle);
    }
  });

  test('metric series of an ended RTMP push are removed', async () => {
    const key = 'oneoff_push';
    const pusher = pushClip(clip, gw.rtmpPort, key);
    await waitForStream(gw.rtspPort, key, 10_000);
    const r = await ffmpegDecodeRtsp(`rtsp://127.0.0.1:${gw.rtspPort}/${key}`, { seconds: 1 });
    assert.equal(r.exitCode, 0, r.stderr);
    const live = await (await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`)).text();
    assert.match(live, new RegExp(`stream="${key}"`));
    await pusher.kill();
    await waitFor(async () => {
      const text = await (await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`)).text();
      return text.includes(`stream="${key}"`) ? undefined : true;
    }, 8000, 'every series of the ended push to be removed');
  });
});
