import { basename, join } from 'node:path';
import { spawnTracked, TrackedProcess, waitFor } from '@streamgate/testing';
import type { Cameras } from './camera-servers';
import { cachedRtpCapture } from './rtp-capture-cache';

/** Seconds of the clip the farm loops: ten GOPs of the benchmark clip. */
const CAPTURE_SECONDS = 20;

/**
 * The clip's first 20 s as ffmpeg sends them over RTP (`-c copy`: the same H.264 and AAC bytes
 * the GStreamer cameras serve), captured once per clip at 4× real time and cached beside it.
 */
function captureClip(mp4: string, audio: boolean): Promise<string> {
  return cachedRtpCapture(
    `${basename(mp4, '.mp4')}-rtp-${CAPTURE_SECONDS}s`,
    ['-readrate', '4', '-t', String(CAPTURE_SECONDS), '-i', mp4],
    [['-map', '0:v', '-c', 'copy'], ...(audio ? [['-map', '0:a', '-c', 'copy']] : [])],
  );
}

/**
 * `count` cameras from one Node process (camera-farm-server.ts): each its own RTSP session with
 * its own playout of the captured clip, none shared. For the 200-camera runs, where GStreamer's
 * RTSP server stops answering.
 */
export class CameraFarm implements Cameras {
  private constructor(
    private readonly process: TrackedProcess,
    private readonly port: number,
    readonly names: string[],
    /** The farm's latest `sessions <open> <playing>` line. */
    private readonly open: { sessions: number },
  ) {}

  static async start(count: number, mp4: string, audio: boolean): Promise<CameraFarm> {
    const capture = await captureClip(mp4, audio);
    const open = { sessions: 0 };
    const child = spawnTracked(process.execPath, [join(__dirname, 'camera-farm-server.js'), '--capture', capture, '--cameras', String(count)], {
      onStdout: (text) => {
        const all = [...text.matchAll(/sessions (\d+) \d+/g)];
        if (all.length) open.sessions = Number(all[all.length - 1][1]);
      },
    });
    const port = await waitFor(() => {
      if (child.child.exitCode !== null) throw new Error(`camera farm exited: ${child.stderr().slice(-500)}`);
      const m = /listening (\d+)/.exec(child.stdout());
      return m ? Number(m[1]) : undefined;
    }, 20_000, 'the camera farm to listen', 100);
    const names = Array.from({ length: count }, (_, i) => `cam${String(i + 1).padStart(3, '0')}`);
    return new CameraFarm(child, port, names, open);
  }

  url(name: string): string {
    return `rtsp://127.0.0.1:${this.port}/${name}`;
  }

  get pids(): number[] {
    return [this.process.pid];
  }

  sessions(): number {
    return this.open.sessions;
  }

  describe(): string {
    return `${this.names.length} RTSP cameras from one Node process (test/bench/camera-farm-server.ts), each its own session and playout of the clip's first ${CAPTURE_SECONDS} s as RTP (ffmpeg -c copy), looped`;
  }

  async stop(): Promise<void> {
    await this.process.kill(3000);
  }
}
