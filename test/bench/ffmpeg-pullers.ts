import { spawnTracked, TrackedProcess } from '@streamgate/testing';

/**
 * The pull benchmark's peer: one `ffmpeg -rtsp_transport <t> -i <camera> -c copy -f null -` per
 * camera, the seed's way of relaying a camera (pull and depacketize, no decoding, no output).
 * ffmpeg's RTSP demuxer logs `RTP: missed N packets` (warning level) for every sequence gap,
 * which is how its loss is counted.
 */
export class FfmpegPullers {
  private constructor(readonly processes: TrackedProcess[]) {}

  static start(urls: readonly string[], transport: 'tcp' | 'udp'): FfmpegPullers {
    return new FfmpegPullers(urls.map((url) => spawnTracked('ffmpeg', [
      '-hide_banner', '-nostdin', '-loglevel', 'warning', '-rtsp_transport', transport, '-i', url, '-c', 'copy', '-f', 'null', '-',
    ])));
  }

  get pids(): number[] {
    return this.processes.map((p) => p.pid);
  }

  /** Processes that have exited (a peer that stopped pulling cannot be measured). */
  exited(): number {
    return this.processes.filter((p) => p.child.exitCode !== null || p.child.signalCode !== null).length;
  }

  /** Packets reported missing so far, all processes. */
  missedPackets(): number {
    let n = 0;
    for (const p of this.processes) {
      for (const m of p.stderr().matchAll(/RTP: missed (\d+) packets/g)) n += Number(m[1]);
    }
    return n;
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.kill(3000)));
  }
}
