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
  /** With the readers one veth link away: their receive thread's CPU (the kernel's receive path), % of one core. */
  receiveCpuPct?: number;
  /** Whole machine busy, % of all cores: anything beyond server + readers is someone else's load. */
  machineBusyPct: number;
  window: ReaderWindowSummary;
  /** Repetition (0-based) with `--repeat`: servers take turns within each. */
  rep: number;
  /**
   * Server CPU ms spent while the readers connected (DESCRIBE/SETUP/PLAY, auth), per reader,
   * less the idle-stream CPU; it includes the media already flowing to readers that connected first.
   */
  connectCpuMsPerReader: number;
  /** With `--churn`: server CPU ms per reader opened and closed alone (`churnCpuMsPerConnect`). */
  churnCpuMsPerConnect?: number;
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
      `${f(r.cpuMsPerReaderSec, 2)} | ${r.cpuMsPerExtraReaderSec === undefined ? '–' : f(r.cpuMsPerExtraReaderSec, 2)} | ${f(r.rssPeakMiB, 0)} | ${f(w.meanMbps, 2)} | ${f(w.meanLossPct, 2)} / ${f(w.maxLossPct, 2)}${w.late ? ` (${w.late} late)` : ''} | ${f(r.readersCpuPct, 0)}${r.receiveCpuPct === undefined ? '' : ` + ${f(r.receiveCpuPct, 0)}`} | ${f(r.machineBusyPct, 0)} |`;
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

/** Fills cpuMsPerExtraReaderSec from the 1-reader row of the same server, transport and repetition. */
export function addIncrementalCpu(rows: FanoutRow[]): void {
  for (const r of rows) {
    const one = rows.find((o) => o.server === r.server && o.transport === r.transport && o.readers === 1 && o.rep === r.rep);
    if (one && r.readers > 1) r.cpuMsPerExtraReaderSec = ((r.cpuPct - one.cpuPct) * 10) / (r.readers - 1);
  }
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length === 0 ? NaN : v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

const spread = (values: number[], digits: number): string =>
  `${f(median(values), digits)} (${f(Math.min(...values), digits)}–${f(Math.max(...values), digits)})`;

/**
 * With `--repeat`: over the clean runs, every server's CPU over the window and per connecting reader as median
 * (min–max) of the repetitions, and each server against `reference` as the median (min–max) of
 * the per-repetition ratios (repetition i of one against repetition i of the other: servers
 * alternate within a repetition, so the machine's other load falls on both sides alike).
 */
export function repeatTable(allRows: FanoutRow[], reference: string): string {
  // A window where readers failed, were dropped, went silent or lost packets did less work (the
  // machine starved the server or the readers): not comparable, left out and counted.
  const clean = (r: FanoutRow): boolean =>
    r.window.failedToStart === 0 && r.window.dropped === 0 && r.window.silent === 0 && r.window.meanLossPct === 0 && r.window.readers === r.readers;
  const rows = allRows.filter(clean);
  const keys = [...new Set(rows.map((r) => `${r.transport}|${r.readers}`))];
  const lines = [
    `| server | transport | readers | runs | server CPU ms per window-second, median (min–max) | CPU ms/s per reader | connect CPU ms per reader | window CPU ÷ ${reference}, median (min–max) | connect CPU ÷ ${reference} | churn CPU ms per connect | churn ÷ ${reference} |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const key of keys) {
    const [transport, readers] = key.split('|');
    const same = rows.filter((r) => r.transport === transport && String(r.readers) === readers);
    const ref = same.filter((r) => r.server === reference);
    for (const server of [...new Set(same.map((r) => r.server))]) {
      const mine = same.filter((r) => r.server === server);
      const pairs = mine.map((r) => [r, ref.find((o) => o.rep === r.rep)] as const).filter((p): p is readonly [FanoutRow, FanoutRow] => p[1] !== undefined);
      const cpuRatio = server === reference || pairs.length === 0 ? '–' : `${spread(pairs.map(([a, b]) => a.cpuPct / b.cpuPct), 3)}, ${pairs.length} pairs`;
      const connectRatio = server === reference || pairs.length === 0 ? '–' : spread(pairs.map(([a, b]) => a.connectCpuMsPerReader / b.connectCpuMsPerReader), 2);
      // Churn runs stand alone (no reader of the window is left): every repetition counts.
      const churned = allRows.filter((r) => r.server === server && r.transport === transport && String(r.readers) === readers && r.churnCpuMsPerConnect !== undefined);
      const churnPairs = churned
        .map((r) => [r, allRows.find((o) => o.server === reference && o.transport === r.transport && o.readers === r.readers && o.rep === r.rep)] as const)
        .filter((p): p is readonly [FanoutRow, FanoutRow] => p[1]?.churnCpuMsPerConnect !== undefined);
      const churn = churned.length ? spread(churned.map((r) => r.churnCpuMsPerConnect ?? NaN), 2) : '–';
      const churnRatio = server === reference || churnPairs.length === 0 ? '–'
        : `${spread(churnPairs.map(([a, b]) => (a.churnCpuMsPerConnect ?? NaN) / (b.churnCpuMsPerConnect ?? NaN)), 3)}, ${churnPairs.length} pairs`;
      lines.push(`| ${server} | ${transport} | ${readers} | ${mine.length} | ${spread(mine.map((r) => r.cpuPct * 10), 0)} | ` +
        `${spread(mine.map((r) => r.cpuMsPerReaderSec), 2)} | ${spread(mine.map((r) => r.connectCpuMsPerReader), 2)} | ${cpuRatio} | ${connectRatio} | ${churn} | ${churnRatio} |`);
    }
  }
  lines.push('', `Runs left out (readers failed, dropped, silent or losing packets): ${allRows.length - rows.length} of ${allRows.length}.`);
  return lines.join('\n');
}
