import { GstRtspServer, startGstRtspServer } from '@streamgate/testing';

/**
 * Many cameras from a few GStreamer RTSP server processes (python helper, `--file` mode): each
 * mount is an independent camera with its own pipeline reading the same pre-encoded MP4, so
 * the content costs no encoding. The file plays once per pipeline, from the start whenever a
 * mount gets its first client, so a clip longer than a measuring step is enough.
 */
export class CameraServers {
  private constructor(
    readonly servers: GstRtspServer[],
    private readonly perServer: number,
    readonly names: string[],
  ) {}

  static async start(count: number, perServer: number, file: string, audio: boolean): Promise<CameraServers> {
    const names = Array.from({ length: count }, (_, i) => `cam${String(i + 1).padStart(3, '0')}`);
    const groups: string[][] = [];
    for (let i = 0; i < names.length; i += perServer) groups.push(names.slice(i, i + perServer));
    const servers: GstRtspServer[] = [];
    try {
      for (const mounts of groups) {
        servers.push(await startGstRtspServer({ mounts, file, audio, shared: true, statusIntervalMs: 1000, startTimeoutMs: 20_000 }));
      }
    } catch (e) {
      await Promise.all(servers.map((s) => s.stop()));
      throw e;
    }
    return new CameraServers(servers, perServer, names);
  }

  url(name: string): string {
    const i = this.names.indexOf(name);
    return this.servers[Math.floor(i / this.perServer)].url(name);
  }

  get pids(): number[] {
    return this.servers.map((s) => s.process.pid);
  }

  /** Sessions open on all cameras, as last reported. */
  sessions(): number {
    return this.servers.reduce((n, s) => n + Object.values(s.sessions()).reduce((m, c) => m + c.sessions, 0), 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}
