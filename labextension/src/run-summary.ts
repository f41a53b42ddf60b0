/**
 * What tells runs apart at a glance: the params whose values vary across the listed runs and the
 * headline metric, folded into one short text shown next to the run's name.
 */
import { formatNumber, formatValue } from './format';
import { IRun } from './types';

/** The keys worth a column or a summary, read from the loaded rows. */
export interface IRunKeys {
  /** Every param key, sorted. */
  params: string[];
  /** Every metric key, sorted. */
  metrics: string[];
  /** Param keys with more than one distinct value, most distinct values first. */
  varying: string[];
  /** Metric keys, logged by most finished runs first (running runs do not reorder them). */
  used: string[];
}

/** Count keys over the rows; running runs count for the key lists but not for the ranking. */
export function collectKeys(runs: Iterable<IRun | undefined>): IRunKeys {
  const params = new Map<string, Set<string>>();
  const metrics = new Map<string, number>();
  for (const run of runs) {
    if (!run) {
      continue;
    }
    for (const [k, v] of Object.entries(run.params ?? {})) {
      (params.get(k) ?? params.set(k, new Set()).get(k)!).add(JSON.stringify(v));
    }
    const weight = run.status === 'running' ? 0 : 1;
    Object.keys(run.metrics ?? {}).forEach(k => metrics.set(k, (metrics.get(k) ?? 0) + weight));
  }
  const varying = [...params.keys()]
    .filter(k => params.get(k)!.size > 1)
    .sort((a, b) => params.get(b)!.size - params.get(a)!.size || a.localeCompare(b));
  const used = [...metrics.keys()].sort((a, b) => metrics.get(b)! - metrics.get(a)! || a.localeCompare(b));
  return { params: [...params.keys()].sort(), metrics: [...metrics.keys()].sort(), varying, used };
}

/** A short label for a key: `learning_rate` -> `lr`, `test_accuracy` -> `acc` (metrics keep a word). */
export function shortKey(key: string, kind: 'param' | 'metric'): string {
  const parts = key.split(/[_.\-/\s]+/).filter(p => p.length > 0);
  if (key.length <= 6 || parts.length === 0) {
    return key;
  }
  if (kind === 'metric') {
    const last = parts[parts.length - 1];
    return last.length > 5 ? last.slice(0, 3) : last;
  }
  return parts.length > 1 ? parts.map(p => p[0]).join('') : key.slice(0, 6);
}

export interface ISummaryPart {
  key: string;
  label: string;
  text: string;
}

/** The summary's parts for one run: each varying param (up to `maxParams`), then the headline metric. */
export function summaryParts(run: IRun, varying: string[], headline: string | null, maxParams = 2): ISummaryPart[] {
  const parts: ISummaryPart[] = [];
  for (const key of varying.slice(0, maxParams)) {
    if (key in (run.params ?? {})) {
      parts.push({ key: `params.${key}`, label: shortKey(key, 'param'), text: formatValue(run.params[key]) });
    }
  }
  if (headline && run.metrics?.[headline] !== undefined && run.metrics[headline] !== null) {
    parts.push({
      key: `metrics.${headline}`,
      label: shortKey(headline, 'metric'),
      text: formatNumber(run.metrics[headline])
    });
  }
  return parts;
}

/** `lr=0.1 · acc 0.958`: the text shown after the name. */
export function summaryText(parts: ISummaryPart[]): string {
  return parts.map(p => (p.key.startsWith('params.') ? `${p.label}=${p.text}` : `${p.label} ${p.text}`)).join(' · ');
}

/** The full tooltip: `name · learning_rate=0.1 · test_accuracy 0.958 · 1a2b3c4d`. */
export function summaryTitle(run: IRun, parts: ISummaryPart[]): string {
  const full = parts.map(p =>
    p.key.startsWith('params.') ? `${p.key.slice(7)}=${p.text}` : `${p.key.slice(8)} ${p.text}`
  );
  return [run.name, ...full, run.run_id.slice(0, 8)].join(' · ');
}
