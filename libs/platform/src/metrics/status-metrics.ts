import type { IngestStatus, PacketizerStatus } from '@streamgate/contracts';
import type { MetricsCatalog } from './catalog';

/**
 * Turns the live status a service writes each second (`status/<s>/<service>`, the public
 * API's snake_case fields) into Prometheus series, so the API and the metrics can never
 * disagree. Totals become counter increments (a total that goes down is a new source
 * generation: counted from zero again).
 */
export class StatusMetrics {
  private readonly totals = new Map<string, number>();

  constructor(readonly metrics: MetricsCatalog) {}

  ingest(stream: string, status: IngestStatus): void {
    const up = status.source === 'rtmp' ? status.publishing : status.playing;
    this.metrics.streamUp.set({ stream, source: status.source }, up ? 1 : 0);
    this.count(stream, 'packets', status.packets_received, (d) => this.metrics.packetsReceived.inc({ stream, track: 'all' }, d));
    this.count(stream, 'bytes', status.bytes_received, (d) => this.metrics.bytesReceived.inc({ stream, track: 'all' }, d));
    if (status.source === 'rtsp') {
      this.count(stream, 'lost', status.packets_lost, (d) => this.metrics.packetsLost.inc({ stream, track: 'all' }, d));
      this.count(stream, 'reconnects', status.reconnects, (d) => this.metrics.reconnects.inc({ stream }, d));
      this.metrics.jitter.set({ stream, track: 'all' }, status.jitter);
      this.metrics.activeSource.set({ stream }, status.active_source ?? 0);
      this.count(stream, 'switches', status.source_switches ?? 0, (d) => this.metrics.sourceSwitches.inc({ stream }, d));
    }
  }

  packetizer(stream: string, status: PacketizerStatus, videoCodec: string): void {
    this.metrics.fps.set({ stream }, status.fps);
    this.metrics.bitrate.set({ stream }, status.bitrate_kbps * 1000);
    this.count(stream, 'frames', status.frames_received, (d) => this.metrics.framesReceived.inc({ stream, track: '0', codec: videoCodec }, d));
  }

  /** The source stopped: the stream is down and its rates are zero until it comes back. */
  down(stream: string, source: string): void {
    this.metrics.streamUp.set({ stream, source }, 0);
    this.metrics.fps.set({ stream }, 0);
    this.metrics.bitrate.set({ stream }, 0);
  }

  /** The stream was deleted: every series of it goes. */
  async forget(stream: string): Promise<void> {
    for (const key of [...this.totals.keys()]) if (key.startsWith(`${stream}\0`)) this.totals.delete(key);
    await this.metrics.forgetStream(stream);
  }

  private count(stream: string, what: string, total: number, inc: (delta: number) => void): void {
    const key = `${stream}\0${what}`;
    const last = this.totals.get(key) ?? 0;
    const delta = total >= last ? total - last : total;
    this.totals.set(key, total);
    // inc(0) exposes the series from the first status: "0 lost" is an answer, no series is not.
    inc(delta);
  }
}
