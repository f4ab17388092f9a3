/**
 * Checks of a Prometheus text exposition (what /metrics returns) that keep metrics honest:
 * a metric that is declared (`# TYPE`) but has no sample was never set by any code, and a
 * name that repeats a word at a join (`streamgate_process_process_cpu_seconds_total`) is a
 * prefix applied twice.
 */

/** Sample-name suffixes each metric type writes (text format 0.0.4). */
const SAMPLE_SUFFIXES: Record<string, readonly string[]> = {
  counter: ['', '_total'],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export interface Exposition {
  /** Metric family name → type, from the `# TYPE` lines. */
  readonly declared: ReadonlyMap<string, string>;
  /** Every sample name that has at least one line. */
  readonly sampled: ReadonlySet<string>;
}

export function parseExposition(text: string): Exposition {
  const declared = new Map<string, string>();
  const sampled = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (name && type) declared.set(name, type);
    } else if (line && !line.startsWith('#')) {
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
      if (name) sampled.add(name);
    }
  }
  return { declared, sampled };
}

/** Declared metric families with no sample line at all: set nowhere (or not yet). */
export function declaredButUnset(text: string): string[] {
  const { declared, sampled } = parseExposition(text);
  return [...declared].filter(([name, type]) => !(SAMPLE_SUFFIXES[type] ?? ['']).some((s) => sampled.has(name + s))).map(([name]) => name).sort();
}

/** Names in which a word follows itself (`a_process_process_b`): a prefix added twice. */
export function doubledPrefixes(text: string): string[] {
  const { declared } = parseExposition(text);
  return [...declared.keys()].filter((name) => /(?:^|_)([a-z0-9]+)_\1(?:_|$)/.test(name)).sort();
}
