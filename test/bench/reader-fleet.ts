import { join } from 'node:path';
import {
  diffRtpStats, ReaderTransport, RtspReader, RtspReaderStats, RtpTrackStats, spawnTracked, TrackedProcess, withTimeout,
} from '@streamgate/testing';
import { cpuSeconds } from './proc-stats';

/** `count` readers of `url` (ReaderFleet.open's arguments, as ChildReaderFleet sends them). */
export interface FleetRequest {
  url: string;
  count: number;
  transport: ReaderTransport;
  concurrency: number;
  credentials?: { username: string; password: string };
}

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

/**
 * A ReaderFleet in a child process (reader-fleet-child.ts), started by `command` (the node
 * command line, wrapped, e.g. by VethLink to run it in another network namespace).
 */
export class ChildReaderFleet {
  private pending: ((message: Record<string, unknown>) => void)[] = [];
  private buffered = '';
  opened = 0;
  failures: string[] = [];

  private readonly proc: TrackedProcess;

  private constructor([cmd, args]: [string, string[]]) {
    this.proc = spawnTracked(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], onStdout: (chunk) => this.received(chunk) });
  }

  static async open(wrap: (cmd: string, args: string[]) => [string, string[]], request: FleetRequest): Promise<ChildReaderFleet> {
    const fleet = new ChildReaderFleet(wrap(process.execPath, [join(__dirname, 'reader-fleet-child.js')]));
    const answer = await fleet.ask(request, 180_000);
    fleet.opened = Number(answer.opened);
    fleet.failures = answer.failures as string[];
    return fleet;
  }

  /** The child's user + system CPU seconds so far. */
  cpuSeconds(): number {
    return cpuSeconds(this.proc.pid);
  }

  async snapshot(): Promise<RtspReaderStats[]> {
    return (await this.ask('snapshot', 30_000)).stats as RtspReaderStats[];
  }

  async close(): Promise<void> {
    await this.ask('close', 30_000).catch(() => undefined);
    await this.proc.kill();
  }

  private ask(command: unknown, ms: number): Promise<Record<string, unknown>> {
    const answered = new Promise<Record<string, unknown>>((resolve, reject) => {
      this.pending.push((message) => (typeof message.error === 'string' ? reject(new Error(`reader fleet: ${message.error}`)) : resolve(message)));
    });
    const exited = this.proc.exited.then((s) => {
      throw new Error(`reader fleet exited (code ${s.code}): ${this.proc.stderr().slice(-800)}`);
    });
    this.proc.child.stdin?.write(`${JSON.stringify(command)}\n`);
    // Answers are matched to questions in order: after one that never came, the fleet is not used again.
    return withTimeout(Promise.race([answered, exited]), ms, `the reader fleet to answer ${JSON.stringify(command).slice(0, 60)}`).catch(async (e: unknown) => {
      await this.proc.kill();
      throw e;
    });
  }

  private received(chunk: string): void {
    this.buffered += chunk;
    const lines = this.buffered.split('\n');
    this.buffered = lines.pop() ?? '';
    for (const line of lines) this.pending.shift()?.(JSON.parse(line) as Record<string, unknown>);
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
  /**
   * Datagrams, over all readers, that arrived behind a higher sequence number (reordered; each
   * was first counted in the loss as a gap): loss less these is what never came.
   */
  late: number;
}

function sumTracks(s: RtspReaderStats): RtpTrackStats {
  return s.tracks.reduce(
    (a, t) => ({ ...a, packets: a.packets + t.packets, bytes: a.bytes + t.bytes, lost: a.lost + t.lost, late: a.late + t.late }),
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
  let late = 0;
  for (const [i, a] of after.entries()) {
    const d = diffRtpStats(sumTracks(a), sumTracks(before[i]));
    if (a.closedByServer && !before[i].closedByServer) dropped++;
    if (d.packets === 0) silent++;
    bits += d.bytes * 8;
    late += d.late;
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
    late,
  };
}
