/**
 * Many simulated RTSP cameras in one process, for the pull benchmark at 200 cameras (spawned by
 * camera-farm.ts). Every camera `cam001…camN` plays the same captured RTP (ffmpeg's packets of
 * the benchmark clip, `-c copy`) on its own: its own session, SSRCs, sequence numbers and
 * timestamps, from the start of the capture at PLAY and looping (timestamps and sequence numbers
 * keep going), over TCP interleaved or UDP, with an RTCP sender report per track every 5 s.
 * Packets are paced from their RTP timestamps by one 1 ms timer, and each goes in a write or send
 * of its own, as GStreamer's and live555's servers send them. A coarser timer with one write per
 * turn would line the cameras up, every camera's packets reaching the gateway in the same few
 * wakeups, which cameras on clocks of their own do not do.
 *
 * Why not GStreamer's RTSP server: at 200 sessions gst-rtsp-server 1.22 stops answering (shared
 * file media under concurrent DESCRIBEs; docs/benchmarks.md, "200 cameras, not re-measured").
 * This is a test fixture, not the gateway's code: it parses RTSP its own small way so that a bug
 * in the gateway's parser cannot hide behind it.
 *
 *   node dist/test/bench/camera-farm-server.js --capture FILE --cameras N [--port 0]
 *
 * Prints `listening <port>`, then `sessions <open> <playing>` every 500 ms.
 */
import { createSocket, Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { parseArgs } from 'node:util';
import type { RtpCaptureFile } from './rtp-capture-cache';

const { values: args } = parseArgs({
  options: { capture: { type: 'string' }, cameras: { type: 'string' }, port: { type: 'string', default: '0' } },
});

/** One media section of the capture: its packets, paced by RTP timestamp, and its loop length. */
interface CapturedTrack {
  clock: number;
  packets: Buffer[];
  /** Send offset of each packet from the start of a loop, ms. */
  offsetsMs: number[];
  /** RTP timestamp of each packet relative to the first. */
  relativeTs: number[];
}

const TICK_MS = 1;
const SR_EVERY_MS = 5000;
/** A reader that stops reading is dropped past this much unsent TCP data (a camera does the same). */
const MAX_TCP_BACKLOG = 4 << 20;
const MAX_REQUEST_BYTES = 64 << 10;

const capture = JSON.parse(readFileSync(String(args.capture), 'utf8')) as RtpCaptureFile;
const cameraCount = Number(args.cameras);
const mediaSections = capture.sdp.split(/\r?\n(?=m=)/).slice(1);
const tracks: CapturedTrack[] = mediaSections.map((m, i) => {
  const clock = Number(/a=rtpmap:\d+ [^/\r\n]+\/(\d+)/.exec(m)?.[1] ?? 90000);
  const packets = capture.packets.filter((p) => p.track === i).map((p) => Buffer.from(p.data, 'base64'));
  // cachedRtpCapture refused captures that lost packets: sequence numbers are rewritten per camera.
  if (packets.length === 0) throw new Error(`capture has no packets for media ${i}`);
  const ts0 = packets[0].readUInt32BE(4);
  const relativeTs = packets.map((p) => (p.readUInt32BE(4) - ts0) >>> 0);
  return { clock, packets, relativeTs, offsetsMs: relativeTs.map((t) => (1000 * t) / clock) };
});
/** One frame of the video (the first media section): its span over its distinct timestamps. */
const frameMs = ((): number => {
  const video = tracks[0];
  const frames = new Set(video.relativeTs).size;
  return frames > 1 ? (video.offsetsMs.at(-1) ?? 0) / (frames - 1) : 40;
})();
/** One loop of the capture: the shortest track's span plus one video frame; every track wraps at it. */
const loopMs = Math.min(...tracks.map((t) => t.offsetsMs.at(-1) ?? 0)) + frameMs;
for (const t of tracks) {
  const keep = t.offsetsMs.findIndex((o) => o >= loopMs);
  if (keep > 0) for (const a of [t.packets, t.offsetsMs, t.relativeTs]) a.length = keep;
}

/** The session SDP a camera describes: the capture's media, each with its control URL. */
const describedSdp = [
  'v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=streamgate camera farm', 'c=IN IP4 0.0.0.0', 't=0 0',
  ...mediaSections.map((m, i) => {
    const lines = m.split(/\r?\n/).filter((l) => l && !l.startsWith('c=') && !l.startsWith('a=control'));
    lines[0] = lines[0].replace(/^m=(\w+) \d+/, 'm=$1 0');
    return [...lines, `a=control:trackID=${i}`].join('\r\n');
  }),
].join('\r\n') + '\r\n';

interface TrackOut {
  /** TCP: interleaved RTP channel (RTCP on +1). UDP: client's RTP port (RTCP on the port given). */
  channel: number;
  clientRtcpPort: number;
  ssrc: number;
  seq: number;
  tsBase: number;
  cursor: number;
  loop: number;
  packets: number;
  octets: number;
}

interface Session {
  id: string;
  socket: Socket;
  udp: boolean;
  tracks: (TrackOut | undefined)[];
  playingSince?: number;
  lastReportAt: number;
}

const sessions = new Map<string, Session>();
let rtpOut: UdpSocket;
let rtcpOut: UdpSocket;

const random32 = (): number => (Math.random() * 0x1_0000_0000) >>> 0;

function response(socket: Socket, cseq: string, status: string, headers: Record<string, string | number> = {}, body = ''): void {
  const lines = [`RTSP/1.0 ${status}`, `CSeq: ${cseq}`, 'Server: streamgate-camera-farm'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/** `rtsp://host:port/camNNN[/trackID=K]` → camera index (1-based, 0 if unknown) and track. */
function target(url: string): { camera: number; track: number } {
  const m = /^rtsp:\/\/[^/]+\/cam(\d+)(?:\/trackID=(\d+))?\/?$/.exec(url);
  const camera = m ? Number(m[1]) : 0;
  return { camera: camera >= 1 && camera <= cameraCount ? camera : 0, track: m?.[2] === undefined ? -1 : Number(m[2]) };
}

function handle(socket: Socket, method: string, url: string, headers: Map<string, string>, owned: Set<string>): void {
  const cseq = headers.get('cseq') ?? '0';
  const { camera, track } = target(url);
  const session = sessions.get((headers.get('session') ?? '').split(';')[0]);
  switch (method) {
    case 'OPTIONS':
      return response(socket, cseq, '200 OK', { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER, SET_PARAMETER' });
    case 'DESCRIBE':
      if (!camera) return response(socket, cseq, '404 Not Found');
      return response(socket, cseq, '200 OK', { 'Content-Base': `${url.replace(/\/$/, '')}/`, 'Content-Type': 'application/sdp' }, describedSdp);
    case 'SETUP': {
      if (!camera || track < 0 || track >= tracks.length) return response(socket, cseq, '404 Not Found');
      const transport = headers.get('transport') ?? '';
      const udp = !/RTP\/AVP\/TCP/i.test(transport);
      const s: Session = session ?? { id: random32().toString(16), socket, udp, tracks: [], lastReportAt: 0 };
      if (s.socket !== socket || s.udp !== udp) return response(socket, cseq, '459 Aggregate Operation Not Allowed');
      const ports = /client_port=(\d+)-(\d+)/.exec(transport);
      const channels = /interleaved=(\d+)-(\d+)/.exec(transport);
      if (udp && !ports) return response(socket, cseq, '461 Unsupported Transport');
      const channel = udp ? Number(ports?.[1]) : channels ? Number(channels[1]) : 2 * track;
      s.tracks[track] = {
        channel, clientRtcpPort: udp ? Number(ports?.[2]) : channel + 1,
        ssrc: random32(), seq: random32() & 0xffff, tsBase: random32(), cursor: 0, loop: 0, packets: 0, octets: 0,
      };
      sessions.set(s.id, s);
      owned.add(s.id);
      const reply = udp
        ? `RTP/AVP;unicast;client_port=${ports?.[1]}-${ports?.[2]};server_port=${rtpOut.address().port}-${rtcpOut.address().port};ssrc=${s.tracks[track]?.ssrc.toString(16)}`
        : `RTP/AVP/TCP;unicast;interleaved=${channel}-${channel + 1}`;
      return response(socket, cseq, '200 OK', { Transport: reply, Session: `${s.id};timeout=60` });
    }
    case 'PLAY': {
      if (!session) return response(socket, cseq, '454 Session Not Found');
      session.playingSince ??= performance.now();
      const base = url.replace(/\/$/, '');
      const info = session.tracks.flatMap((t, i) => (t ? [`url=${base}/trackID=${i};seq=${t.seq};rtptime=${t.tsBase}`] : []));
      return response(socket, cseq, '200 OK', { Session: session.id, Range: 'npt=0.000-', 'RTP-Info': info.join(',') });
    }
    case 'TEARDOWN':
      if (session) {
        sessions.delete(session.id);
        owned.delete(session.id);
      }
      return response(socket, cseq, '200 OK');
    case 'GET_PARAMETER':
    case 'SET_PARAMETER':
      return response(socket, cseq, '200 OK', session ? { Session: session.id } : {});
    default:
      return response(socket, cseq, '405 Method Not Allowed');
  }
}

const server = createServer((socket) => {
  socket.setNoDelay(true);
  const owned = new Set<string>();
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      if (pending.length && pending[0] === 0x24) {
        // An interleaved frame from the client (its RTCP receiver reports): skipped.
        if (pending.length < 4) break;
        const end = 4 + pending.readUInt16BE(2);
        if (pending.length < end) break;
        pending = pending.subarray(end);
        continue;
      }
      const headEnd = pending.indexOf('\r\n\r\n');
      if (headEnd < 0) {
        if (pending.length > MAX_REQUEST_BYTES) socket.destroy();
        break;
      }
      const lines = pending.subarray(0, headEnd).toString('latin1').split('\r\n');
      const headers = new Map<string, string>();
      for (const l of lines.slice(1)) {
        const colon = l.indexOf(':');
        if (colon > 0) headers.set(l.slice(0, colon).trim().toLowerCase(), l.slice(colon + 1).trim());
      }
      const end = headEnd + 4 + Number(headers.get('content-length') ?? 0);
      if (pending.length < end) break;
      pending = pending.subarray(end);
      const [method = '', url = ''] = (lines[0] ?? '').split(' ');
      handle(socket, method, url, headers, owned);
    }
  });
  const close = (): void => {
    for (const id of owned) sessions.delete(id);
    owned.clear();
  };
  socket.on('close', close);
  socket.on('error', close);
});

/** Where a packet starts in what goes out: over TCP behind the interleaved header (RFC 2326 §10.12). */
const headerSize = (s: Session): number => (s.udp ? 0 : 4);

/** The bytes of one outgoing packet of `size`, its interleaved header written when over TCP; the packet goes at headerSize(s). */
function outgoing(s: Session, t: TrackOut, size: number, rtcp: boolean): Buffer {
  if (s.udp) return Buffer.allocUnsafe(size);
  const out = Buffer.allocUnsafe(4 + size);
  out[0] = 0x24;
  out[1] = rtcp ? t.channel + 1 : t.channel;
  out.writeUInt16BE(size, 2);
  return out;
}

function send(s: Session, t: TrackOut, out: Buffer, rtcp: boolean): void {
  if (!s.udp) s.socket.write(out);
  else if (rtcp) rtcpOut.send(out, t.clientRtcpPort, s.socket.remoteAddress);
  else rtpOut.send(out, t.channel, s.socket.remoteAddress);
}

/** RTCP sender report (RFC 3550 §6.4.1) for a track at `elapsedMs` into the session. */
function sendSenderReport(s: Session, t: TrackOut, clock: number, elapsedMs: number): void {
  const out = outgoing(s, t, 28, true);
  const at = headerSize(s);
  out.writeUInt8(0x80, at);
  out.writeUInt8(200, at + 1);
  out.writeUInt16BE(6, at + 2);
  out.writeUInt32BE(t.ssrc, at + 4);
  const ntpMs = Date.now() + 2_208_988_800_000;
  out.writeUInt32BE(Math.floor(ntpMs / 1000) >>> 0, at + 8);
  out.writeUInt32BE(Math.floor(((ntpMs % 1000) / 1000) * 0x1_0000_0000) >>> 0, at + 12);
  out.writeUInt32BE((t.tsBase + Math.round((elapsedMs * clock) / 1000)) >>> 0, at + 16);
  out.writeUInt32BE(t.packets >>> 0, at + 20);
  out.writeUInt32BE(t.octets >>> 0, at + 24);
  send(s, t, out, true);
}

function tick(): void {
  const now = performance.now();
  for (const s of sessions.values()) {
    if (s.playingSince === undefined) continue;
    if (!s.udp && s.socket.writableLength > MAX_TCP_BACKLOG) {
      s.socket.destroy();
      continue;
    }
    const elapsed = now - s.playingSince;
    s.tracks.forEach((t, i) => {
      if (!t) return;
      const track = tracks[i];
      for (;;) {
        if (t.cursor === track.packets.length) {
          t.cursor = 0;
          t.loop++;
        }
        if (track.offsetsMs[t.cursor] + t.loop * loopMs > elapsed) break;
        // The captured packet copied once, into what goes out, with this camera's header fields.
        const source = track.packets[t.cursor];
        const out = outgoing(s, t, source.length, false);
        const at = headerSize(s);
        source.copy(out, at);
        out.writeUInt16BE(t.seq, at + 2);
        out.writeUInt32BE((t.tsBase + track.relativeTs[t.cursor] + Math.round((t.loop * loopMs * track.clock) / 1000)) >>> 0, at + 4);
        out.writeUInt32BE(t.ssrc, at + 8);
        t.seq = (t.seq + 1) & 0xffff;
        t.packets++;
        t.octets += source.length - 12;
        t.cursor++;
        send(s, t, out, false);
      }
      if (now - s.lastReportAt >= SR_EVERY_MS) sendSenderReport(s, t, track.clock, elapsed);
    });
    if (now - s.lastReportAt >= SR_EVERY_MS) s.lastReportAt = now;
  }
}

async function bindUdp(port: number): Promise<UdpSocket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => resolve());
  });
  socket.on('message', () => undefined); // receiver reports: read and dropped
  return socket;
}

async function main(): Promise<void> {
  // The server's RTP/RTCP pair: an even port and the next one (RFC 3550 §11), tried until both bind.
  for (;;) {
    const probe = await bindUdp(0);
    const even = probe.address().port & ~1;
    probe.close();
    try {
      rtpOut = await bindUdp(even);
      rtcpOut = await bindUdp(even + 1).catch((e: unknown) => {
        rtpOut.close();
        throw e;
      });
      break;
    } catch {
      // taken meanwhile: another pair
    }
  }
  await new Promise<void>((resolve) => server.listen(Number(args.port), '127.0.0.1', resolve));
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
  setInterval(tick, TICK_MS);
  setInterval(() => {
    let playing = 0;
    for (const s of sessions.values()) if (s.playingSince !== undefined) playing++;
    process.stdout.write(`sessions ${sessions.size} ${playing}\n`);
  }, 500);
  process.on('SIGTERM', () => process.exit(0));
}

void main();
