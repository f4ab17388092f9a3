import type { RtspTransport } from './media';
import { spawnTracked, withTimeout } from './processes';
import { pythonHelperPath } from './python-helper';

export interface MpvPlayResult {
  exitCode: number | null;
  stderr: string;
  /** Tracks mpv selected and played ("(+) Video --vid=1 ..."). */
  video: boolean;
  audio: boolean;
  /** Seconds of playback reached (playback-time), undefined when nothing played. */
  playedS: number | undefined;
  /** Longest wall-clock time playback-time stood still after it first moved, ms. */
  maxStallMs: number;
  /** mpv's complaints about timestamps and sync (e.g. "Invalid audio PTS: 3.2 -> 3.1"). */
  timestampComplaints: string[];
}

const COMPLAINT = /Invalid audio PTS|Invalid video timestamp|desynchroni[sz]ation|Audio device underrun|Error while decoding/i;

/**
 * Plays an RTSP URL with mpv as a viewer does (default settings: its own cache and A/V sync,
 * libavformat's RTSP client), rendering to null outputs in real time for `seconds`; a Lua probe
 * (libs/testing/python/mpv_probe.lua) reports how far playback got and its longest stall.
 */
export async function mpvPlayRtsp(url: string, o: { transport: RtspTransport; seconds: number; timeoutMs?: number }): Promise<MpvPlayResult> {
  const p = spawnTracked('mpv', [
    '--no-config', '--vo=null', '--ao=null', `--length=${o.seconds}`, `--rtsp-transport=${o.transport}`,
    `--script=${pythonHelperPath('mpv_probe.lua')}`, '--msg-level=all=warn,cplayer=info,mpv_probe=info', url,
  ]);
  const status = await withTimeout(p.exited, o.timeoutMs ?? o.seconds * 1000 + 20_000, `mpv ${url}`).catch(async (e: unknown) => {
    await p.kill();
    throw e;
  });
  const out = `${p.stdout()}\n${p.stderr()}`;
  const report = /REPORT playback_time=(\S+) max_stall_ms=(\d+)/.exec(out);
  const played = report ? Number(report[1]) : NaN;
  return {
    exitCode: status.code,
    stderr: out,
    video: /\(\+\) Video --vid=/.test(out),
    audio: /\(\+\) Audio --aid=/.test(out),
    playedS: Number.isFinite(played) ? played : undefined,
    maxStallMs: report ? Number(report[2]) : 0,
    timestampComplaints: out.split('\n').filter((l) => COMPLAINT.test(l)),
  };
}
