import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort, spawnTracked, TrackedProcess } from '@streamgate/testing';

export interface ScrapeTarget {
  job: string;
  port: number;
}

export interface RealPrometheus {
  readonly url: string;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Polls `expr` until `accept` holds for its result or the time runs out. */
  waitFor(expr: string, accept: (values: number[]) => boolean, timeoutMs: number): Promise<number[]>;
  /** Every metric name Prometheus has scraped. */
  metricNames(): Promise<string[]>;
  stop(): Promise<void>;
}

/** A real Prometheus server (Debian's `prometheus`) scraping the given loopback targets every second. */
export async function startPrometheus(targets: ScrapeTarget[]): Promise<RealPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-prom-'));
  const port = await freeTcpPort();
  const jobs = targets.map((t) => `  - job_name: ${t.job}\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['127.0.0.1:${t.port}']\n`).join('');
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n${jobs}`);
  const proc: TrackedProcess = spawnTracked('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn']);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`prometheus did not become ready: ${proc.stderr().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const query = async (expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
    return body.data?.result ?? [];
  };
  return {
    url,
    query,
    async waitFor(expr, accept, timeoutMs) {
      const until = Date.now() + timeoutMs;
      let last: number[] = [];
      while (Date.now() < until) {
        last = (await query(expr)).map((r) => Number(r.value[1]));
        if (accept(last)) return last;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`${expr} never satisfied the condition; last values ${JSON.stringify(last)}`);
    },
    async metricNames() {
      const res = await fetch(`${url}/api/v1/label/__name__/values`);
      return ((await res.json()) as { data: string[] }).data;
    },
    stop: async () => {
      await proc.kill();
    },
  };
}
