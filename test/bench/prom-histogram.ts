/**
 * Prometheus histograms from /metrics text: cumulative buckets summed over label sets, the
 * difference of two scrapes, and quantiles interpolated within a bucket like PromQL's
 * histogram_quantile (linear from the bucket's lower bound; the first bucket starts at 0; a
 * quantile in the +Inf bucket answers the highest finite bound).
 */
export interface HistogramSnapshot {
  /** Upper bounds, ascending, +Inf last. */
  les: number[];
  /** Cumulative counts per upper bound. */
  counts: number[];
  sum: number;
  count: number;
}

function parseLe(s: string): number {
  return s === '+Inf' ? Infinity : Number(s);
}

/**
 * The histogram `name` summed over every label set whose labels include all of `match`
 * (e.g. every stream). Lines look like `name_bucket{le="0.001",stream="s1",service="x"} 12`.
 */
export function parseHistogram(text: string, name: string, match: Record<string, string> = {}): HistogramSnapshot {
  const byLe = new Map<number, number>();
  let sum = 0;
  let count = 0;
  const matches = (labels: string): boolean =>
    Object.entries(match).every(([k, v]) => labels.includes(`${k}="${v}"`));
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^(\w+)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m || !matches(m[2])) continue;
    const value = Number(m[3]);
    if (m[1] === `${name}_bucket`) {
      const le = /le="([^"]+)"/.exec(m[2]);
      if (!le) continue;
      const bound = parseLe(le[1]);
      byLe.set(bound, (byLe.get(bound) ?? 0) + value);
    } else if (m[1] === `${name}_sum`) {
      sum += value;
    } else if (m[1] === `${name}_count`) {
      count += value;
    }
  }
  const les = [...byLe.keys()].sort((a, b) => a - b);
  return { les, counts: les.map((le) => byLe.get(le) ?? 0), sum, count };
}

/** after − before, bucket by bucket (series that appeared in between count from zero). */
export function diffHistogram(after: HistogramSnapshot, before: HistogramSnapshot): HistogramSnapshot {
  const prev = new Map(before.les.map((le, i) => [le, before.counts[i]]));
  return {
    les: after.les,
    counts: after.les.map((le, i) => after.counts[i] - (prev.get(le) ?? 0)),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/** PromQL histogram_quantile(q, …) on one snapshot; NaN when it holds no observations. */
export function histogramQuantile(q: number, h: HistogramSnapshot): number {
  const total = h.counts.at(-1) ?? 0;
  if (total <= 0 || h.les.length < 2) return NaN;
  const rank = q * total;
  for (let i = 0; i < h.les.length; i++) {
    if (h.counts[i] < rank) continue;
    if (h.les[i] === Infinity) return h.les[h.les.length - 2];
    const lower = i === 0 ? 0 : h.les[i - 1];
    const below = i === 0 ? 0 : h.counts[i - 1];
    const inBucket = h.counts[i] - below;
    return inBucket > 0 ? lower + ((h.les[i] - lower) * (rank - below)) / inBucket : h.les[i];
  }
  return h.les[h.les.length - 2];
}

/** The upper bound of the bucket holding quantile q: the value the quantile is surely at or below. */
export function quantileUpperBound(q: number, h: HistogramSnapshot): number {
  const total = h.counts.at(-1) ?? 0;
  if (total <= 0) return NaN;
  const i = h.counts.findIndex((c) => c >= q * total);
  return i < 0 ? Infinity : h.les[i];
}

/** Share of observations ≤ `le` (exact when `le` is a bucket bound; NaN otherwise). */
export function fractionAtOrBelow(le: number, h: HistogramSnapshot): number {
  const total = h.counts.at(-1) ?? 0;
  const i = h.les.indexOf(le);
  return total > 0 && i >= 0 ? h.counts[i] / total : NaN;
}

/** A counter or gauge summed over label sets that include `match`. */
export function sumSamples(text: string, name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = m[2] ?? '';
    if (Object.entries(match).every(([k, v]) => labels.includes(`${k}="${v}"`))) total += Number(m[3]);
  }
  return total;
}
