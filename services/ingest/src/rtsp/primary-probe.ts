/**
 * Watches a stream's primary camera while a backup source is active: plays it (RTP over TCP,
 * media discarded) and reports whether media flows, so SourceSelection can return to the
 * primary once it has been healthy for `switch_back_after`. A failed or silent probe is tried
 * again after PROBE_RETRY_MS.
 */
import type { CameraSource } from '@streamgate/contracts';
import { RtspClientSession, sourceCredentials } from './rtsp-client-session';
import type { UdpPortPairAllocator } from './udp-port-pair';

const PROBE_RETRY_MS = 1000;
const PROBE_CHECK_MS = 250;
/** Media older than this is not "flowing". */
const PROBE_SILENCE_MS = 1000;

export interface PrimaryProbeOptions {
  source: CameraSource;
  udpPorts: UdpPortPairAllocator;
  requestTimeoutMs: number;
  tlsVerify: boolean;
  resolveAddress?: (url: string) => Promise<string>;
  onHealthy: (now: number) => void;
  onUnhealthy: () => void;
  onDebug: (message: string) => void;
}

export class PrimaryProbe {
  private session: RtspClientSession | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastPacketAt = 0;
  private stopped = false;

  constructor(private readonly options: PrimaryProbeOptions) {}

  start(): void {
    void this.attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer); // the retry timeout or the check interval (Node clears either)
    const session = this.session;
    this.session = undefined;
    await session?.stop();
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    const { source } = this.options;
    const session = new RtspClientSession({
      url: source.url,
      credentials: sourceCredentials(source),
      transport: 'tcp',
      udpPorts: this.options.udpPorts,
      requestTimeoutMs: this.options.requestTimeoutMs,
      sink: (_track, rtcp, _packets, receivedAt) => {
        if (!rtcp) this.lastPacketAt = receivedAt;
      },
      onClosed: () => void this.failed(session),
      onDebug: this.options.onDebug,
      resolveAddress: this.options.resolveAddress,
      tlsVerify: this.options.tlsVerify,
    });
    this.session = session;
    try {
      await session.start();
    } catch (err) {
      this.options.onDebug(`primary probe failed: ${err instanceof Error ? err.message : String(err)}`);
      await this.failed(session);
      return;
    }
    if (this.stopped || this.session !== session) return;
    const since = Date.now();
    this.timer = setInterval(() => {
      const now = Date.now();
      if (now - this.lastPacketAt <= PROBE_SILENCE_MS) this.options.onHealthy(now);
      else if (now - since > PROBE_SILENCE_MS) void this.failed(session);
    }, PROBE_CHECK_MS);
  }

  private async failed(session: RtspClientSession): Promise<void> {
    if (this.session !== session) return;
    this.session = undefined;
    clearInterval(this.timer);
    this.options.onUnhealthy();
    await session.stop();
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.attempt(), PROBE_RETRY_MS);
  }
}
