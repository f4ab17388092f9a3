import { ReaderWindowSummary } from './reader-fleet';

export interface FanoutRow {
  server: string;
  transport: string;
  readers: number;
  /** Server CPU over the window, % of one core. */
  cpuPct: number;
  /** Server CPU with the stream live and no readers, % of one core. */
  baselineCpuPct: number;
  /** (cpuPct - baselineCpuPct) / readers, as CPU ms per second per reader. */
  cpuMsPerReaderSec: number;
  /**
   * CPU each reader beyond the first adds: (cpu(N) - cpu(1)) / (N - 1), ms per second. Fair
   * between servers that idle differently: GStreamer runs no pipeline without readers, the
   * gateway keeps ingesting and packetizing.
   */
  cpuMsPerExtraReaderSec?: number;
  rssPeakMiB: number;
  /** The benchmark's own CPU (all readers), % of one core: shows when the client side saturates. */
  readersCpuPct: number;
  /** Whole machine busy, % of all cores: anything beyond server + readers is someone else's load. */
  machineBusyPct: number;
  window: ReaderWindowSummary;
}

const f = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export function resultsTable(rows: FanoutRow[]): string {
  const head = [
    '| server | transport | readers (ok/failed/dropped) | server CPU % of a core | idle-stream CPU % | CPU ms/s per reader | CPU ms/s per extra reader | peak RSS MiB | Mbit/s per reader | loss % mean / max | reader-side CPU % | machine busy % |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const body = rows.map((r) => {
    const w = r.window;
    const ok = w.readers - w.dropped - w.silent;
    return `| ${r.server} | ${r.transport} | ${r.readers} (${ok}/${w.failedToStart}/${w.dropped}) | ${f(r.cpuPct)} | ${f(r.baselineCpuPct)} | ` +
      `${f(r.cpuMsPerReaderSec, 2)} | ${r.cpuMsPerExtraReaderSec === undefined ? '–' : f(r.cpuMsPerExtraReaderSec, 2)} | ${f(r.rssPeakMiB, 0)} | ${f(w.meanMbps, 2)} | ${f(w.meanLossPct, 2)} / ${f(w.maxLossPct, 2)} | ${f(r.readersCpuPct, 0)} | ${f(r.machineBusyPct, 0)} |`;
  });
  return [...head, ...body].join('\n');
}

/** streamgate ÷ gstreamer for every (transport, readers) measured on both. */
export function ratioTable(rows: FanoutRow[], ours = 'streamgate', peer = 'gstreamer'): string {
  const lines = [
    `| transport | readers | CPU per extra reader, ${ours} ÷ ${peer} | total CPU, ${ours} ÷ ${peer} | peak RSS, ${ours} ÷ ${peer} |`,
    '|---|---:|---:|---:|---:|',
  ];
  for (const a of rows.filter((r) => r.server === ours)) {
    const b = rows.find((r) => r.server === peer && r.transport === a.transport && r.readers === a.readers);
    if (!b) continue;
    const extra = a.cpuMsPerExtraReaderSec !== undefined && b.cpuMsPerExtraReaderSec !== undefined
      ? f(a.cpuMsPerExtraReaderSec / b.cpuMsPerExtraReaderSec, 2)
      : '–';
    lines.push(`| ${a.transport} | ${a.readers} | ${extra} | ` +
      `${f(a.cpuPct / b.cpuPct, 2)} | ${f(a.rssPeakMiB / b.rssPeakMiB, 2)} |`);
  }
  return lines.length > 2 ? lines.join('\n') : '(no pair of rows to compare)';
}

/** Fills cpuMsPerExtraReaderSec from the 1-reader row of the same server and transport. */
export function addIncrementalCpu(rows: FanoutRow[]): void {
  for (const r of rows) {
    const one = rows.find((o) => o.server === r.server && o.transport === r.transport && o.readers === 1);
    if (one && r.readers > 1) r.cpuMsPerExtraReaderSec = ((r.cpuPct - one.cpuPct) * 10) / (r.readers - 1);
  }
}
