import type { MetricsCatalog } from './catalog';

/** A status object as written to the store; read field by field. */
type Status = object;

const field = (status: Status, name: string): unknown => (status as Record<string, unknown>)[name];

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Turns the live status a service writes each second (`status/<s>/<service>`, the public
 * API's snake_case fields) into Prometheus series, so the API and the metrics can never
 * disagree. Totals become counter increments (a total that goes down is a new source
 * generation: counted from zero again).
 */
export class StatusMetrics {
  private readonly totals = new Map<string, number>();

  constructor(readonly metrics: MetricsCatalog) {}

  ingest(stream: string, status: Status): void {
    const sourceField = field(status, 'source');
    const source = typeof sourceField === 'string' ? sourceField : 'unknown';
    const up = field(status, 'playing') === true || field(status, 'publishing') === true;
    this.metrics.streamUp.set({ stream, source }, up ? 1 : 0);
    this.count(stream, 'packets', num(field(status, 'packets_received')), (d) => this.metrics.packetsReceived.inc({ stream, track: 'all' }, d));
    this.count(stream, 'bytes', num(field(status, 'bytes_received')), (d) => this.metrics.bytesReceived.inc({ stream, track: 'all' }, d));
    this.count(stream, 'lost', num(field(status, 'packets_lost')), (d) => this.metrics.packetsLost.inc({ stream, track: 'all' }, d));
    this.count(stream, 'reconnects', num(field(status, 'reconnects')), (d) => this.metrics.reconnects.inc({ stream }, d));
    const jitter = num(field(status, 'jitter'));
    if (jitter !== undefined) this.metrics.jitter.set({ stream, track: 'all' }, jitter);
  }

  packetizer(stream: string, status: Status, videoCodec: string): void {
    this.metrics.fps.set({ stream }, num(field(status, 'fps')) ?? 0);
    this.metrics.bitrate.set({ stream }, (num(field(status, 'bitrate_kbps')) ?? 0) * 1000);
    this.count(stream, 'frames', num(field(status, 'frames_received')), (d) => this.metrics.framesReceived.inc({ stream, track: '0', codec: videoCodec }, d));
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

  private count(stream: string, what: string, total: number | undefined, inc: (delta: number) => void): void {
    if (total === undefined) return;
    const key = `${stream}\0${what}`;
    const last = this.totals.get(key) ?? 0;
    const delta = total >= last ? total - last : total;
    this.totals.set(key, total);
    if (delta > 0) inc(delta);
  }
}
