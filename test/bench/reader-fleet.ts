import { diffRtpStats, ReaderTransport, RtspReader, RtspReaderStats, RtpTrackStats } from '@streamgate/testing';

/** Many RtspReaders, opened with bounded concurrency (a burst of 200 SYNs is not the test). */
export class ReaderFleet {
  readonly readers: RtspReader[] = [];
  readonly failures: string[] = [];

  /** `count` readers of one URL. */
  static open(
    url: string, count: number, transport: ReaderTransport, concurrency = 16, credentials?: { username: string; password: string },
  ): Promise<ReaderFleet> {
    return ReaderFleet.openEach(new Array<string>(count).fill(url), transport, concurrency, credentials);
  }

  /** One reader per URL (a camera each, say). */
  static async openEach(
    urls: readonly string[], transport: ReaderTransport, concurrency = 16, credentials?: { username: string; password: string },
  ): Promise<ReaderFleet> {
    const fleet = new ReaderFleet();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < urls.length) {
        const url = urls[next++];
        try {
          fleet.readers.push(await RtspReader.open(url, { transport, timeoutMs: 10_000, credentials }));
        } catch (e) {
          fleet.failures.push(`${url}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, urls.length) }, worker));
    return fleet;
  }

  snapshot(): RtspReaderStats[] {
    return this.readers.map((r) => r.stats());
  }

  async close(): Promise<void> {
    await Promise.all(this.readers.map((r) => r.close(2000)));
  }
}

export interface ReaderWindowSummary {
  /** Readers that were playing at the start of the window. */
  readers: number;
  failedToStart: number;
  /** Readers the server disconnected (or whose connection failed) during the window. */
  dropped: number;
  /** Mean received RTP bit rate per reader, Mbit/s (all tracks, RTP headers included). */
  meanMbps: number;
  /** Packet loss from sequence gaps, % of expected packets; mean over readers and worst reader. */
  meanLossPct: number;
  maxLossPct: number;
  /** Readers that received nothing at all in the window. */
  silent: number;
}

function sumTracks(s: RtspReaderStats): RtpTrackStats {
  return s.tracks.reduce(
    (a, t) => ({ ...a, packets: a.packets + t.packets, bytes: a.bytes + t.bytes, lost: a.lost + t.lost }),
    { packets: 0, bytes: 0, lost: 0, late: 0, invalid: 0, ssrcChanges: 0, firstAt: 0, lastAt: 0 },
  );
}

export function summarizeWindow(
  before: RtspReaderStats[],
  after: RtspReaderStats[],
  seconds: number,
  failedToStart: number,
): ReaderWindowSummary {
  const losses: number[] = [];
  let bits = 0;
  let dropped = 0;
  let silent = 0;
  for (const [i, a] of after.entries()) {
    const d = diffRtpStats(sumTracks(a), sumTracks(before[i]));
    if (a.closedByServer && !before[i].closedByServer) dropped++;
    if (d.packets === 0) silent++;
    bits += d.bytes * 8;
    const expected = d.packets + d.lost;
    losses.push(expected > 0 ? (100 * d.lost) / expected : 100);
  }
  const n = after.length;
  return {
    readers: n,
    failedToStart,
    dropped,
    meanMbps: n ? bits / n / seconds / 1e6 : 0,
    meanLossPct: n ? losses.reduce((a, b) => a + b, 0) / n : 0,
    maxLossPct: n ? Math.max(...losses) : 0,
    silent,
  };
}
