/**
 * The stall watchdog's rule, per track (issue #11 item 5): a camera whose video stops while its
 * audio flows is as broken as one that sends nothing, so every track is watched on its own.
 *
 *  - Nothing on any track for `timeoutMs` since PLAY (or since the last packet): "no media".
 *  - A track silent for `timeoutMs` while another flows: "<media> stalled". A track is watched
 *    once it has delivered in this session, or in an earlier session of the same camera
 *    (`everFlowed`: a video that hung and did not come back after a reconnect is still a stall),
 *    but never just because the SDP lists it: a camera may list a track it never sends.
 *
 * Pure: the puller calls it on its watch timer.
 */
export interface WatchedTrack {
  /** The track's media section index in the camera SDP. */
  index: number;
  media: 'video' | 'audio';
  /** When its last RTP packet arrived in this session (ms), undefined when none yet. */
  lastPacketAt: number | undefined;
}

export interface TrackStall {
  /** The stalled track (undefined: no media at all). */
  track: number | undefined;
  /** For last_error: names the cause and the setting. */
  message: string;
}

export function findStall(tracks: readonly WatchedTrack[], playingSince: number, now: number, timeoutMs: number, everFlowed: ReadonlySet<number>): TrackStall | undefined {
  const newest = Math.max(playingSince, ...tracks.map((t) => t.lastPacketAt ?? 0));
  if (now - newest > timeoutMs) return { track: undefined, message: `no media for ${seconds(now - newest)} s (RTSP_TIMEOUT)` };
  for (const t of tracks) {
    if (t.lastPacketAt === undefined && !everFlowed.has(t.index)) continue;
    const silent = now - (t.lastPacketAt ?? playingSince);
    if (silent <= timeoutMs) continue;
    const flowing = tracks.filter((o) => o !== t && o.lastPacketAt !== undefined && now - o.lastPacketAt <= timeoutMs).map((o) => o.media);
    const others = flowing.length > 0 ? ` while ${[...new Set(flowing)].join(' and ')} flows` : '';
    return { track: t.index, message: `${t.media} stalled: no RTP on track ${t.index} for ${seconds(silent)} s${others} (RTSP_TIMEOUT)` };
  }
  return undefined;
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}
