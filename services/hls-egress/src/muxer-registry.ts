import { StreamEvent, Subjects, decodeJson } from '@streamgate/contracts';
import { Bus, DemandKeeper, Logger, MetricsCatalog, Subscription, requestStreamDescription } from '@streamgate/platform';
import { StreamMuxer, StreamMuxerOptions } from './stream-muxer';
import { readStreamTracks, sameCarriage } from './track-config';

export interface MuxerRegistryOptions extends StreamMuxerOptions {
  maxMuxers: number;
  idleTimeoutMs: number;
  /** A connection counts as an HLS reader this long after its last request. */
  readerWindowMs: number;
}

export class TooManyMuxersError extends Error {
  constructor(limit: number) {
    super(`HLS is already muxing ${limit} streams (HLS_MAX_MUXERS)`);
    this.name = 'TooManyMuxersError';
  }
}

/**
 * The muxers of the streams HLS clients are watching: created by the first request for a
 * stream, closed `idleTimeoutMs` after its last one (no cost for streams nobody watches).
 * A source that comes back with other codecs restarts its muxer; one that comes back with the
 * same codecs at another resolution keeps it (a new init segment after a discontinuity).
 */
export class MuxerRegistry {
  private readonly muxers = new Map<string, StreamMuxer>();
  private readonly events: Subscription;
  /** Keeps on-demand cameras pulled while clients fetch them. */
  private readonly demand: DemandKeeper;

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly metrics: MetricsCatalog,
    private readonly options: MuxerRegistryOptions,
  ) {
    this.events = bus.subscribe(Subjects.allStreamEvents, (msg) => this.onStreamEvent(msg.subject, msg.data));
    this.demand = new DemandKeeper(bus, 'hls');
  }

  get(stream: string): StreamMuxer | undefined {
    const m = this.muxers.get(stream);
    return m && !m.isClosed ? m : undefined;
  }

  acquire(stream: string): StreamMuxer {
    const existing = this.get(stream);
    if (existing) return existing;
    if (this.muxers.size >= this.options.maxMuxers) throw new TooManyMuxersError(this.options.maxMuxers);
    const muxer = new StreamMuxer(stream, this.bus, this.logger, this.options, {
      onPart: (s, latencyS) => {
        this.metrics.hlsParts.inc({ stream: s });
        this.metrics.hlsMuxingLatency.observe({ stream: s }, latencyS);
      },
      onSegment: (s) => this.metrics.hlsSegments.inc({ stream: s }),
    });
    this.muxers.set(stream, muxer);
    this.metrics.hlsMuxers.set(this.muxers.size);
    muxer.ready.catch((err: unknown) => {
      this.logger.info({ stream, err: err instanceof Error ? err.message : String(err) }, 'HLS muxer did not start');
      this.remove(muxer, 'start failed');
    });
    return muxer;
  }

  /** Once a second: idle muxers close; reader gauges and buffered bytes are updated. */
  tick(nowMs: number): void {
    // A stream is needed while its clients fetch it, not for the muxer's whole idle timeout.
    this.demand.keep([...this.muxers.values()].filter((m) => !m.isClosed && nowMs - m.lastRequestMs <= this.options.readerWindowMs).map((m) => m.stream), nowMs);
    for (const muxer of [...this.muxers.values()]) {
      if (muxer.isClosed || nowMs - muxer.lastRequestMs > this.options.idleTimeoutMs) {
        this.remove(muxer, 'idle');
        continue;
      }
      this.metrics.hlsReaders.set({ stream: muxer.stream }, muxer.readerCount(nowMs, this.options.readerWindowMs));
      this.metrics.hlsBufferedBytes.set({ stream: muxer.stream }, muxer.segmenter?.bufferedBytes ?? 0);
    }
  }

  readerCount(stream: string, nowMs: number): number {
    return this.get(stream)?.readerCount(nowMs, this.options.readerWindowMs) ?? 0;
  }

  private remove(muxer: StreamMuxer, why: string): void {
    muxer.close(why);
    if (this.muxers.get(muxer.stream) !== muxer) return;
    this.muxers.delete(muxer.stream);
    this.metrics.hlsMuxers.set(this.muxers.size);
    this.metrics.hlsReaders.remove({ stream: muxer.stream });
    this.metrics.hlsBufferedBytes.remove({ stream: muxer.stream });
    this.logger.info({ stream: muxer.stream, why }, 'HLS muxer stopped');
  }

  private onStreamEvent(subject: string, data: Uint8Array): void {
    let event: StreamEvent;
    try {
      event = decodeJson(StreamEvent, subject, data);
    } catch (err) {
      this.logger.warn({ err, subject }, 'invalid stream event');
      return;
    }
    const muxer = this.get(event.stream);
    if (!muxer || event.type !== 'source-started' || !muxer.description) return;
    const before = muxer.description;
    requestStreamDescription(this.bus, event.stream, this.options.describeTimeoutMs).then((after) => {
      let same = false;
      try {
        same = sameCarriage(readStreamTracks(before), readStreamTracks(after));
      } catch (err) {
        this.logger.warn({ err, stream: event.stream }, 'unreadable stream description after source-started');
      }
      if (!same) this.remove(muxer, 'source formats changed');
      else muxer.description = after;
    }, (err: unknown) => this.logger.debug({ err, stream: event.stream }, 'describe after source-started failed'));
  }

  closeAll(): void {
    this.events.unsubscribe();
    for (const m of [...this.muxers.values()]) this.remove(m, 'shutdown');
  }
}
