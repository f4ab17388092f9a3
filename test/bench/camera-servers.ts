import { GstRtspServer, startGstRtspServer } from '@streamgate/testing';

/** The simulated cameras a pull benchmark reads: GStreamer's (CameraServers) or the Node farm (CameraFarm). */
export interface Cameras {
  readonly names: string[];
  url(name: string): string;
  /** Processes whose CPU is the cameras' own. */
  readonly pids: number[];
  /** Sessions open on all cameras, as last reported. */
  sessions(): number;
  /** One line for the report: what the cameras are. */
  describe(): string;
  stop(): Promise<void>;
}

/**
 * Many cameras from a few GStreamer RTSP server processes (python helper, `--file` mode): each
 * mount is an independent camera with its own pipeline reading the same pre-encoded MP4, so
 * the content costs no encoding. The file plays once per pipeline, from the start whenever a
 * mount gets its first client, so a clip longer than a measuring step is enough.
 *
 * With `mounts` below the camera count, cameras share mounts round-robin: each camera is still
 * its own RTSP client session (own connection, own SETUP/PLAY, own RTP/RTCP), but a mount's one
 * pipeline feeds all its sessions. That is how 200 cameras fit beside the gateway on 2 cores:
 * 200 pipelines alone cost ~1.8 cores.
 */
export class CameraServers implements Cameras {
  private constructor(
    readonly servers: GstRtspServer[],
    private readonly perServer: number,
    readonly names: string[],
    readonly mounts: string[],
  ) {}

  static async start(count: number, perServer: number, file: string, audio: boolean, mountCount = count): Promise<CameraServers> {
    const names = Array.from({ length: count }, (_, i) => `cam${String(i + 1).padStart(3, '0')}`);
    const mountNames = names.slice(0, Math.max(1, Math.min(count, mountCount)));
    const groups: string[][] = [];
    for (let i = 0; i < mountNames.length; i += perServer) groups.push(mountNames.slice(i, i + perServer));
    const servers: GstRtspServer[] = [];
    try {
      for (const mounts of groups) {
        servers.push(await startGstRtspServer({ mounts, file, audio, shared: true, statusIntervalMs: 1000, startTimeoutMs: 20_000 }));
      }
    } catch (e) {
      await Promise.all(servers.map((s) => s.stop()));
      throw e;
    }
    return new CameraServers(servers, perServer, names, mountNames);
  }

  /** The camera's URL: its own mount, or the mount it shares (round-robin). */
  url(name: string): string {
    const m = this.names.indexOf(name) % this.mounts.length;
    return this.servers[Math.floor(m / this.perServer)].url(this.mounts[m]);
  }

  get pids(): number[] {
    return this.servers.map((s) => s.process.pid);
  }

  /** Sessions open on all cameras, as last reported. */
  sessions(): number {
    return this.servers.reduce((n, s) => n + Object.values(s.sessions()).reduce((m, c) => m + c.sessions, 0), 0);
  }

  describe(): string {
    return `${this.names.length} RTSP sessions on ${this.mounts.length} mounts of ${this.servers.length} GStreamer RTSP server process(es) (python helper --file, shared media)`;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}
