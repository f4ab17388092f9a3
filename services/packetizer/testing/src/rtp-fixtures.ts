/**
 * Test support: the captured RTP tables of libs/protocol/rtp/fixtures (see VECTOR_SOURCE.md
 * there for the commands), with SDPs describing them as a camera would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// dist/services/packetizer/testing/src → repository root
const ROOT = join(__dirname, '../../../../..');

export function loadRtpFixture(name: string): Uint8Array[] {
  const json = JSON.parse(readFileSync(join(ROOT, 'libs/protocol/rtp/fixtures', name), 'utf8')) as { packets: string[] };
  return json.packets.map((hex) => Uint8Array.from(Buffer.from(hex, 'hex')));
}

export function loadSdpFixture(name: string): string {
  return readFileSync(join(ROOT, 'libs/protocol/sdp/fixtures', name), 'utf8');
}

/** A camera SDP with one media section per entry (`m=` line body and attribute lines). */
export function cameraSdp(media: ReadonlyArray<{ m: string; a: readonly string[] }>): string {
  const lines = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=camera', 't=0 0'];
  for (const x of media) lines.push(`m=${x.m}`, ...x.a.map((a) => `a=${a}`));
  return `${lines.join('\r\n')}\r\n`;
}

export const H264_SDP = { m: 'video 0 RTP/AVP 96', a: ['rtpmap:96 H264/90000', 'fmtp:96 packetization-mode=1', 'control:trackID=0'] };
export const H265_SDP = { m: 'video 0 RTP/AVP 96', a: ['rtpmap:96 H265/90000', 'control:trackID=0'] };
export const aacSdp = (rate: number, channels: number, config: string): { m: string; a: string[] } => ({
  m: 'audio 0 RTP/AVP 97',
  a: [`rtpmap:97 MPEG4-GENERIC/${rate}/${channels}`, `fmtp:97 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=${config}`],
});
