/** The little of SDP (RFC 8866) a reader needs: one entry per m= section, with its control URL. */
export interface SdpTrack {
  media: string;
  payloadType: number;
  /** e.g. "H264/90000", "MPEG4-GENERIC/48000/2"; empty when the section has no a=rtpmap. */
  rtpmap: string;
  /** Absolute URL to SETUP (RFC 2326 §C.1.1, a=control resolved against the base URL). */
  controlUrl: string;
}

export interface SdpSummary {
  tracks: SdpTrack[];
  /** URL for aggregate PLAY/TEARDOWN (session-level a=control resolved, or the base URL). */
  sessionUrl: string;
}

export function resolveControl(base: string, control: string | undefined): string {
  if (control === undefined || control === '' || control === '*') return base;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(control)) return control;
  return base.endsWith('/') ? base + control : `${base}/${control}`;
}

export function parseSdpTracks(sdp: string, baseUrl: string): SdpSummary {
  const sections: string[][] = [[]];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) sections.push([]);
    sections[sections.length - 1].push(line);
  }
  const attr = (lines: string[], name: string): string | undefined =>
    lines.find((l) => l.startsWith(`a=${name}:`))?.slice(name.length + 3).trim();
  const tracks = sections.slice(1).map((lines): SdpTrack => {
    const [media = '', , , pt = '-1'] = lines[0].slice(2).split(' ');
    const rtpmap = lines.find((l) => l.startsWith(`a=rtpmap:${pt} `))?.split(' ')[1] ?? '';
    return { media, payloadType: Number(pt), rtpmap, controlUrl: resolveControl(baseUrl, attr(lines, 'control')) };
  });
  return { tracks, sessionUrl: resolveControl(baseUrl, attr(sections[0], 'control')) };
}
