/**
 * Test double: an RTSP "camera" on 127.0.0.1 whose answers a test scripts request by request,
 * for the cases real servers will not produce on demand (redirects, stale nonces, odd
 * Transport replies, query-string URLs, HTTP or garbage on the port).
 */
import { AddressInfo, Server, Socket, createServer } from 'node:net';
import {
  EMPTY_BODY, RTSP_VERSION, RtspHeaders, RtspMessageReader, RtspRequest, encodeInterleavedFrame, encodeResponse,
} from '@streamgate/protocol-rtsp';

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: string;
}

export interface CameraConnection {
  socket: Socket;
  sendInterleaved(channel: number, payload: Uint8Array): void;
}

export type CameraScript = (request: RtspRequest, connection: CameraConnection) => ScriptedAnswer | undefined;

export interface ScriptedCamera {
  port: number;
  url(path: string): string;
  requests: RtspRequest[];
  connections: number;
  close(): Promise<void>;
}

export async function startScriptedCamera(script: CameraScript): Promise<ScriptedCamera> {
  const requests: RtspRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const reader = new RtspMessageReader();
    const connection: CameraConnection = {
      socket,
      sendInterleaved: (channel, payload) => socket.write(encodeInterleavedFrame(channel, payload)),
    };
    socket.on('data', (chunk) => {
      for (const e of reader.push(chunk)) {
        if (e.type !== 'request') continue;
        requests.push(e.request);
        const answer = script(e.request, connection);
        if (!answer) continue;
        const headers = new RtspHeaders({ CSeq: e.request.headers.get('cseq') ?? '0' });
        for (const [k, v] of Object.entries(answer.headers ?? {})) for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
        const body = answer.body === undefined ? EMPTY_BODY : new TextEncoder().encode(answer.body);
        socket.write(encodeResponse({ version: RTSP_VERSION, statusCode: answer.status, reason: '', headers, body }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path) => `rtsp://127.0.0.1:${port}${path}`,
    requests,
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** An SDP with H.264 (and AAC) whose controls are `controls`. */
export function cameraSdp(controls: { session?: string; video: string; audio?: string }): string {
  const lines = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=scripted', 't=0 0'];
  if (controls.session !== undefined) lines.push(`a=control:${controls.session}`);
  lines.push('m=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1', `a=control:${controls.video}`);
  if (controls.audio !== undefined) {
    lines.push('m=audio 0 RTP/AVP 97', 'a=rtpmap:97 MPEG4-GENERIC/48000/2', 'a=fmtp:97 streamtype=5;mode=AAC-hbr;config=1190;sizelength=13;indexlength=3;indexdeltalength=3', `a=control:${controls.audio}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** A minimal RTP packet (RFC 3550 §5.1) with a 4-byte payload. */
export function rtpPacket(seq: number, timestamp: number, ssrc: number, payloadType = 96): Uint8Array {
  const p = new Uint8Array(16);
  const v = new DataView(p.buffer);
  v.setUint8(0, 0x80);
  v.setUint8(1, payloadType);
  v.setUint16(2, seq & 0xffff);
  v.setUint32(4, timestamp >>> 0);
  v.setUint32(8, ssrc >>> 0);
  p.set([0x65, 1, 2, 3], 12);
  return p;
}
