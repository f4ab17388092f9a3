import { EgressStatus, StreamDescription, encodeStatus, statusKey, STATUS_TTL_MS } from '@streamgate/contracts';
import type { Bus, Logger, StateStore } from '@streamgate/platform';
import { EgressMetrics } from './egress-metrics';
import type { FanoutReader } from './fanout-reader';
import { FanoutStats, StreamFanout, StreamFanoutOptions } from './stream-fanout';

const SENDER_REPORT_INTERVAL_MS = 5_000;

/** Live status written to `status/<s>/rtsp-egress` (schema in contracts). */
function toStatus(s: FanoutStats): EgressStatus {
  return { readers: s.readers, readers_tcp: s.readersTcp, readers_udp: s.readersUdp, bytes_sent: s.bytesSent, dropped_readers: s.droppedReaders };
}

/**
 * The fan-outs of all streams with readers. A fan-out is created for the first PLAY and
 * disposed (bus subscription released, final `readers: 0` status written) when its last
 * reader leaves.
 */
export class FanoutRegistry {
  private readonly fanouts = new Map<string, StreamFanout>();
  /** Fan-outs handed out by `prepare` whose caller has not added its reader yet. */
  private readonly preparing = new Map<StreamFanout, number>();
  private lastSenderReports = 0;

  constructor(
    private readonly bus: Bus,
    private readonly store: StateStore,
    private readonly logger: Logger,
    private readonly options: StreamFanoutOptions,
    private readonly metrics?: EgressMetrics,
  ) {}

  get(stream: string): StreamFanout | undefined {
    return this.fanouts.get(stream);
  }

  /**
   * The stream's fan-out with its GOP loaded. The caller must call `release` when it is done
   * (after `addReader`, or on failure), so a fan-out nobody joined is disposed.
   */
  async prepare(stream: string, description: StreamDescription): Promise<StreamFanout> {
    let fanout = this.fanouts.get(stream);
    if (!fanout || fanout.isClosed) {
      fanout = new StreamFanout(stream, description, this.bus, this.logger, this.options);
      this.fanouts.set(stream, fanout);
    }
    this.preparing.set(fanout, (this.preparing.get(fanout) ?? 0) + 1);
    await fanout.ready;
    return fanout;
  }

  release(fanout: StreamFanout): void {
    const n = (this.preparing.get(fanout) ?? 1) - 1;
    if (n > 0) this.preparing.set(fanout, n);
    else this.preparing.delete(fanout);
    this.disposeIfIdle(fanout);
  }

  /** A reader left (PAUSE, TEARDOWN, timeout, connection gone): the fan-out goes with its last one. */
  removeReader(fanout: StreamFanout, reader: FanoutReader): void {
    fanout.removeReader(reader);
    this.disposeIfIdle(fanout);
  }

  private disposeIfIdle(fanout: StreamFanout): void {
    if (fanout.readerCount > 0 || this.preparing.has(fanout)) return;
    const stats = fanout.stats();
    fanout.close('teardown');
    if (this.fanouts.get(fanout.stream) === fanout) this.fanouts.delete(fanout.stream);
    this.writeStatus(fanout.stream, { ...stats, readers: 0, readersTcp: 0, readersUdp: 0 });
    this.metrics?.disposed(fanout.stream);
  }

  /** The source is down but its readers stay (SourceOutages): they resume at the next keyframe. */
  sourceDown(stream: string): void {
    this.fanouts.get(stream)?.sourceDown();
  }

  /**
   * source-stopped: BYE to every reader of the stream and drop them. `forgetSeries` (a push
   * that ended: its key may never come back) removes the stream's egress series too.
   */
  closeStream(stream: string, forgetSeries = false): void {
    const fanout = this.fanouts.get(stream);
    if (fanout) {
      const stats = fanout.stats();
      this.fanouts.delete(stream);
      fanout.close('source-stopped');
      this.writeStatus(stream, { ...stats, readers: 0, readersTcp: 0, readersUdp: 0 });
      this.metrics?.disposed(stream);
    }
    if (forgetSeries) this.metrics?.forget(stream);
  }

  /** Once a second: status of every stream with readers; sender reports every ~5 s. */
  tick(nowMs: number): void {
    const sendReports = nowMs - this.lastSenderReports >= SENDER_REPORT_INTERVAL_MS;
    if (sendReports) this.lastSenderReports = nowMs;
    for (const fanout of this.fanouts.values()) {
      if (fanout.readerCount === 0) continue;
      if (sendReports) fanout.sendSenderReports(nowMs);
      this.writeStatus(fanout.stream, fanout.stats());
    }
  }

  closeAll(): void {
    for (const stream of [...this.fanouts.keys()]) {
      const fanout = this.fanouts.get(stream);
      this.fanouts.delete(stream);
      fanout?.close('shutdown');
    }
  }

  private writeStatus(stream: string, stats: FanoutStats): void {
    this.metrics?.update(stream, stats);
    this.store
      .set(statusKey(stream, 'rtsp-egress'), encodeStatus('rtsp-egress', toStatus(stats)), { ttlMs: STATUS_TTL_MS })
      .catch((err: unknown) => {
        this.metrics?.storeError();
        this.logger.warn({ err, stream }, 'status write failed');
      });
  }
}
