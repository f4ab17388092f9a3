/**
 * Test support: runs ffmpeg as a stand-in camera sending RTP (one output per media, RTCP on
 * the odd port) to UDP sockets we bound on loopback, and returns what arrived, in arrival
 * order, with the SDP ffmpeg wrote (-sdp_file): media section i is the i-th output.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bindUdpPortPair, spawnTracked, UdpSocketPair, withTimeout } from '@streamgate/testing';

export interface CapturedDatagram {
  track: number;
  rtcp: boolean;
  receivedAt: number;
  data: Uint8Array;
}

export interface LiveCapture {
  sdp: string;
  datagrams: CapturedDatagram[];
}

/**
 * `inputArgs` are ffmpeg input options (with -re and -t); `outputs[i]` the codec options of
 * media section i (with its -map). Bounded by `timeoutMs`; ffmpeg is killed whatever happens.
 */
export async function captureLiveRtp(inputArgs: readonly string[], outputs: ReadonlyArray<readonly string[]>, timeoutMs = 30_000): Promise<LiveCapture> {
  const dir = mkdtempSync(join(tmpdir(), 'packetizer-rtp-'));
  const pairs: UdpSocketPair[] = [];
  const datagrams: CapturedDatagram[] = [];
  try {
    for (let track = 0; track < outputs.length; track++) {
      const pair = await bindUdpPortPair();
      pairs.push(pair);
      pair.rtp.on('message', (m: Buffer) => datagrams.push({ track, rtcp: false, receivedAt: Date.now(), data: new Uint8Array(m) }));
      pair.rtcp.on('message', (m: Buffer) => datagrams.push({ track, rtcp: true, receivedAt: Date.now(), data: new Uint8Array(m) }));
    }
    const sdpFile = join(dir, 'camera.sdp');
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', ...inputArgs];
    outputs.forEach((o, i) => args.push(...o, '-f', 'rtp', `rtp://127.0.0.1:${pairs[i].rtpPort}?rtcpport=${pairs[i].rtcpPort}&pkt_size=1300`));
    args.push('-sdp_file', sdpFile);
    const ffmpeg = spawnTracked('ffmpeg', args);
    try {
      const status = await withTimeout(ffmpeg.exited, timeoutMs, 'ffmpeg sending RTP');
      if (status.code !== 0) throw new Error(`ffmpeg exited ${status.code}: ${ffmpeg.stderr()}`);
    } finally {
      await ffmpeg.kill();
    }
    // The last datagrams may still be in the socket buffers.
    await new Promise((r) => setTimeout(r, 200));
    return { sdp: readFileSync(sdpFile, 'utf8'), datagrams };
  } finally {
    for (const p of pairs) {
      p.rtp.close();
      p.rtcp.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
