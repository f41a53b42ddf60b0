/**
 * Vega-Lite specifications for the panel's charts, as pure functions: metric curves (log scale,
 * smoothing, tooltips), parallel coordinates, a param-vs-metric scatter and parameter importance.
 * Colours come from one palette that stays apart past 8 runs (colour, then dash) in both themes.
 */
import { MetricPoint, ParamValue } from './types';

/** Mid-luminance colours, readable as lines on JupyterLab's light and dark backgrounds. */
export const PALETTE = [
  '#1f77b4',
  '#e8590c',
  '#2f9e44',
  '#d6336c',
  '#7048e8',
  '#0c8599',
  '#a0522d',
  '#c2255c',
  '#5c940d',
  '#1864ab',
  '#e67700',
  '#868e96'
];
/** After every colour is used once, the next runs repeat them dashed. */
export const DASHES: number[][] = [[], [6, 3], [2, 2], [8, 3, 2, 3]];

export function seriesStyle(index: number): { color: string; dash: number[] } {
  return { color: PALETTE[index % PALETTE.length], dash: DASHES[Math.floor(index / PALETTE.length) % DASHES.length] };
}

export interface IChartLine {
  id: string;
  /** `name · short id · differing params` */
  label: string;
  points: MetricPoint[];
}

export interface ICurveOptions {
  log: boolean;
  /** Moving-average window in points (0 or 1: raw values). */
  smoothing: number;
}

/** The theme's colours for axes, legends and titles (read from JupyterLab's CSS variables). */
export interface IChartTheme {
  text: string;
  grid: string;
  background: string;
}

export function themeConfig(theme: IChartTheme): object {
  const axis = {
    labelColor: theme.text,
    titleColor: theme.text,
    gridColor: theme.grid,
    domainColor: theme.grid,
    tickColor: theme.grid
  };
  return {
    background: null,
    view: { stroke: null },
    axis,
    legend: { labelColor: theme.text, titleColor: theme.text, labelLimit: 360 },
    title: { color: theme.text }
  };
}

/** A legend label: `name · 1a2b3c4d · lr=0.1, alpha=0.01` (differing params only). */
export function lineLabel(
  name: string,
  runId: string,
  params: { [key: string]: ParamValue },
  differing: string[]
): string {
  const diff = differing
    .filter(k => k in params)
    .slice(0, 3)
    .map(k => `${k}=${typeof params[k] === 'string' ? params[k] : JSON.stringify(params[k])}`);
  return [name, runId.slice(0, 8), diff.join(', ')].filter(Boolean).join(' \u00B7 ');
}

/** Line chart of one metric over steps for several runs. */
/** Above this many values a curve chart draws lines only (no point symbols). */
export const MAX_POINT_MARKS = 600;

export function curveSpec(metric: string, lines: IChartLine[], options: ICurveOptions, theme: IChartTheme): object {
  const values = lines.flatMap((line, i) =>
    line.points
      .filter(p => p[1] !== null && Number.isFinite(p[1] as number) && (!options.log || (p[1] as number) > 0))
      .map(p => ({ step: p[0], value: p[1], series: line.label, order: i }))
  );
  const labels = lines.map(l => l.label);
  const styles = lines.map((_, i) => seriesStyle(i));
  const smooth = options.smoothing > 1;
  const transform = smooth
    ? [
        {
          window: [{ op: 'mean', field: 'value', as: 'shown' }],
          frame: [-(Math.round(options.smoothing) - 1), 0],
          groupby: ['series'],
          sort: [{ field: 'step' }]
        }
      ]
    : [{ calculate: 'datum.value', as: 'shown' }];
  const n = Math.max(1, lines.length);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `${metric} by step`,
    width: 'container',
    height: 200,
    autosize: { type: 'fit-x', contains: 'padding' },
    config: themeConfig(theme),
    data: { values },
    transform,
    // points (hover targets on short curves) only while they are few: 50 runs x 50 steps as SVG
    // symbols cost more than the lines, and the lines keep their tooltips
    mark: {
      type: 'line',
      interpolate: 'linear',
      point: values.length <= Math.min(60 * n, MAX_POINT_MARKS) ? { size: 18 } : false
    },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: {
        field: 'shown',
        type: 'quantitative',
        title: smooth ? `${metric} (mean of ${Math.round(options.smoothing)})` : metric,
        scale: { type: options.log ? 'log' : 'linear', zero: false }
      },
      color: {
        field: 'series',
        type: 'nominal',
        sort: labels,
        scale: { domain: labels, range: styles.map(s => s.color) },
        legend: { title: null, orient: 'bottom', direction: 'vertical' }
      },
      strokeDash: {
        field: 'series',
        type: 'nominal',
        scale: { domain: labels, range: styles.map(s => s.dash) },
        legend: null
      },
      // identical curves stay visible: the first runs are drawn wider, under the later ones
      strokeWidth: { field: 'order', type: 'quantitative', scale: { domain: [0, n], range: [4, 1.5] }, legend: null },
      order: { field: 'order' },
      tooltip: [
        { field: 'series', type: 'nominal', title: 'run' },
        { field: 'step', type: 'quantitative' },
        { field: 'value', type: 'quantitative', title: metric, format: '.6~g' }
      ]
    }
  };
}

/** One row per run for the hyper-parameter views: numeric params and metrics by key. */
export interface IPointRow {
  run: string;
  values: { [field: string]: number | null };
}

/** Numbers for a param: numbers as they are, booleans 0/1, strings by their sorted rank. */
export function numericColumns(
  runs: { label: string; params: { [key: string]: ParamValue }; metrics: { [key: string]: number | null } }[],
  params: string[],
  metrics: string[]
): IPointRow[] {
  const ranks = new Map<string, Map<string, number>>();
  for (const k of params) {
    const texts = [...new Set(runs.map(r => r.params[k]).filter(v => typeof v === 'string') as string[])].sort();
    ranks.set(k, new Map(texts.map((t, i) => [t, i])));
  }
  return runs.map(r => {
    const values: { [field: string]: number | null } = {};
    for (const k of params) {
      const v = r.params[k];
      values[`params.${k}`] =
        typeof v === 'number'
          ? v
          : typeof v === 'boolean'
            ? Number(v)
            : typeof v === 'string'
              ? ranks.get(k)!.get(v)!
              : null;
    }
    for (const k of metrics) {
      const v = r.metrics[k];
      values[`metrics.${k}`] = typeof v === 'number' && Number.isFinite(v) ? v : null;
    }
    return { run: r.label, values };
  });
}

/** Parallel coordinates: one line per run across the params and the metric, each axis scaled 0..1. */
export function parallelSpec(rows: IPointRow[], fields: string[], colorBy: string, theme: IChartTheme): object {
  const values = rows.flatMap(r =>
    fields.map(f => ({ run: r.run, field: f, raw: r.values[f], colour: r.values[colorBy] }))
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: 'parallel coordinates of parameters and metric',
    width: 'container',
    height: 240,
    autosize: { type: 'fit-x', contains: 'padding' },
    config: themeConfig(theme),
    data: { values },
    transform: [
      { filter: 'datum.raw !== null' },
      {
        joinaggregate: [
          { op: 'min', field: 'raw', as: 'lo' },
          { op: 'max', field: 'raw', as: 'hi' }
        ],
        groupby: ['field']
      },
      { calculate: 'datum.hi === datum.lo ? 0.5 : (datum.raw - datum.lo) / (datum.hi - datum.lo)', as: 'scaled' }
    ],
    layer: [
      {
        mark: { type: 'line', opacity: 0.8, strokeWidth: 2 },
        encoding: {
          x: { field: 'field', type: 'nominal', sort: fields, title: null, axis: { labelAngle: 0, labelLimit: 120 } },
          y: { field: 'scaled', type: 'quantitative', axis: null },
          detail: { field: 'run', type: 'nominal' },
          color: { field: 'colour', type: 'quantitative', title: colorBy, scale: { scheme: 'viridis' } },
          tooltip: [
            { field: 'run', type: 'nominal' },
            { field: 'field', type: 'nominal' },
            { field: 'raw', type: 'quantitative', title: 'value', format: '.6~g' }
          ]
        }
      },
      {
        mark: { type: 'rule', color: theme.grid },
        encoding: { x: { field: 'field', type: 'nominal', sort: fields } }
      }
    ]
  };
}

/** A scatter of one param (x) against one metric (y), one point per run. */
export function scatterSpec(rows: IPointRow[], x: string, y: string, theme: IChartTheme, logX = false): object {
  const values = rows
    .filter(r => r.values[x] !== null && r.values[y] !== null && (!logX || (r.values[x] as number) > 0))
    .map(r => ({ run: r.run, x: r.values[x], y: r.values[y] }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `${y} against ${x}`,
    width: 'container',
    height: 240,
    autosize: { type: 'fit-x', contains: 'padding' },
    config: themeConfig(theme),
    data: { values },
    mark: { type: 'point', filled: true, size: 60, color: PALETTE[0] },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: x, scale: { type: logX ? 'log' : 'linear', zero: false } },
      y: { field: 'y', type: 'quantitative', title: y, scale: { zero: false } },
      tooltip: [
        { field: 'run', type: 'nominal' },
        { field: 'x', type: 'quantitative', title: x, format: '.6~g' },
        { field: 'y', type: 'quantitative', title: y, format: '.6~g' }
      ]
    }
  };
}

/** Bars of importance and correlation per parameter (W&B's parameter importance panel). */
export function importanceSpec(
  rows: { param: string; importance: number | null; correlation: number | null }[],
  theme: IChartTheme
): object {
  const values = rows
    .flatMap(r => [
      { param: r.param, kind: 'importance', value: r.importance },
      { param: r.param, kind: 'correlation', value: r.correlation }
    ])
    .filter(v => v.value !== null);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: 'parameter importance and correlation',
    width: 'container',
    autosize: { type: 'fit-x', contains: 'padding' },
    config: themeConfig(theme),
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'param', type: 'nominal', title: null, sort: rows.map(r => r.param) },
      yOffset: { field: 'kind' },
      x: { field: 'value', type: 'quantitative', title: 'importance (0..1) / correlation (-1..1)' },
      color: {
        field: 'kind',
        type: 'nominal',
        scale: { range: [PALETTE[0], PALETTE[1]] },
        legend: { title: null, orient: 'bottom' }
      },
      tooltip: [
        { field: 'param', type: 'nominal' },
        { field: 'kind', type: 'nominal' },
        { field: 'value', type: 'quantitative', format: '.3f' }
      ]
    }
  };
}

/** Pearson correlation of two equally long lists (null when either does not vary). */
export function correlation(xs: number[], ys: number[]): number | null {
  const n = xs.length;
  if (n < 2) {
    return null;
  }
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

/** Which way is better for a metric: lower for losses and errors, higher otherwise. */
export function lowerIsBetter(metric: string): boolean {
  return /loss|err|mse|mae|rmse|perplexity|time|latency|cost/i.test(metric);
}

/** The index of the best value (ties: the first), or -1 when no run has the metric. */
export function bestIndex(metric: string, values: (number | null | undefined)[]): number {
  let best = -1;
  const lower = lowerIsBetter(metric);
  values.forEach((v, i) => {
    if (typeof v === 'number' && Number.isFinite(v)) {
      const b = best >= 0 ? (values[best] as number) : null;
      if (b === null || (lower ? v < b : v > b)) {
        best = i;
      }
    }
  });
  return best;
}
