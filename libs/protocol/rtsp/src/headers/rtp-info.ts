import { RtspEncodeError, RtspParseError } from '../base/errors';
import { checkLength, parseDecimal } from './header-params';

/**
 * RFC 2326 §12.33 RTP-Info: for each stream, the URL and the sequence number / RTP timestamp
 * of the first packet the client will receive after PLAY.
 *
 *   RTP-Info: url=rtsp://foo.com/bar.avi/streamid=0;seq=45102,url=rtsp://foo.com/bar.avi/streamid=1;seq=30211
 */
export interface RtpInfoEntry {
  url: string;
  seq?: number;
  rtptime?: number;
}

export function parseRtpInfo(value: string): RtpInfoEntry[] {
  checkLength('RTP-Info', value);
  // URLs may contain commas, so entries are split only where the next one starts ("url=").
  const entries = value.split(/,\s*(?=url=)/i).map((e) => e.trim()).filter((e) => e.length > 0);
  if (entries.length === 0) throw new RtspParseError('empty RTP-Info header');
  if (entries.length > 64) throw new RtspParseError('too many RTP-Info entries');
  return entries.map((entry) => {
    const out: Partial<RtpInfoEntry> = {};
    for (const param of entry.split(';')) {
      const eq = param.indexOf('=');
      if (eq <= 0) continue;
      const key = param.slice(0, eq).trim().toLowerCase();
      const v = param.slice(eq + 1).trim();
      if (key === 'url') out.url = v.replace(/^"(.*)"$/, '$1');
      else if (key === 'seq') out.seq = parseDecimal('RTP-Info seq', v, 0xffff);
      else if (key === 'rtptime') out.rtptime = parseDecimal('RTP-Info rtptime', v, 0xffffffff);
    }
    if (out.url === undefined || out.url.length === 0) throw new RtspParseError('RTP-Info entry without url');
    const result: RtpInfoEntry = { url: out.url };
    if (out.seq !== undefined) result.seq = out.seq;
    if (out.rtptime !== undefined) result.rtptime = out.rtptime;
    return result;
  });
}

export function formatRtpInfo(entries: readonly RtpInfoEntry[]): string {
  return entries
    .map((e) => {
      if (/[\s;]/.test(e.url) || e.url.length === 0) throw new RtspEncodeError(`invalid RTP-Info url ${JSON.stringify(e.url)}`);
      let out = `url=${e.url}`;
      if (e.seq !== undefined) out += `;seq=${e.seq & 0xffff}`;
      if (e.rtptime !== undefined) out += `;rtptime=${e.rtptime >>> 0}`;
      return out;
    })
    .join(',');
}
