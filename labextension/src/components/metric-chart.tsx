/** A small SVG line chart: one or more [step, value] series on shared axes. */
import * as React from 'react';

import { formatNumber, SERIES_COLORS } from '../format';
import { MetricPoint } from '../types';

export interface IChartSeries {
  label: string;
  points: MetricPoint[];
}

export interface IMetricChartProps {
  title: string;
  series: IChartSeries[];
  width?: number;
  height?: number;
}

const PAD = { left: 52, right: 10, top: 8, bottom: 22 };

export function MetricChart(props: IMetricChartProps): JSX.Element {
  const width = props.width ?? 360;
  const height = props.height ?? 180;
  const all = props.series.flatMap(s => s.points.filter(p => p[1] !== null && Number.isFinite(p[1] as number)));
  if (all.length === 0) {
    return (
      <div className="jp-mlops-MetricChart jp-mlops-empty" data-metric={props.title}>
        <div className="jp-mlops-MetricChart-title">{props.title}</div>
        <div>no points</div>
      </div>
    );
  }
  let [xMin, xMax] = [Math.min(...all.map(p => p[0])), Math.max(...all.map(p => p[0]))];
  let [yMin, yMax] = [Math.min(...all.map(p => p[1] as number)), Math.max(...all.map(p => p[1] as number))];
  if (xMin === xMax) {
    xMin -= 1;
    xMax += 1;
  }
  if (yMin === yMax) {
    const d = Math.abs(yMin) * 0.05 || 1;
    yMin -= d;
    yMax += d;
  }
  const iw = width - PAD.left - PAD.right;
  const ih = height - PAD.top - PAD.bottom;
  const sx = (x: number) => PAD.left + ((x - xMin) / (xMax - xMin)) * iw;
  const sy = (y: number) => PAD.top + ih - ((y - yMin) / (yMax - yMin)) * ih;
  return (
    <div className="jp-mlops-MetricChart" data-metric={props.title}>
      <div className="jp-mlops-MetricChart-title">{props.title}</div>
      <svg width={width} height={height} role="img" aria-label={`chart of ${props.title}`}>
        <line className="jp-mlops-axis" x1={PAD.left} y1={PAD.top + ih} x2={PAD.left + iw} y2={PAD.top + ih} />
        <line className="jp-mlops-axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={PAD.top + ih} />
        <text className="jp-mlops-tick" x={PAD.left - 4} y={PAD.top + 8} textAnchor="end">
          {formatNumber(yMax)}
        </text>
        <text className="jp-mlops-tick" x={PAD.left - 4} y={PAD.top + ih} textAnchor="end">
          {formatNumber(yMin)}
        </text>
        <text className="jp-mlops-tick" x={PAD.left} y={height - 6} textAnchor="start">
          {formatNumber(xMin)}
        </text>
        <text className="jp-mlops-tick" x={PAD.left + iw} y={height - 6} textAnchor="end">
          {formatNumber(xMax)}
        </text>
        {props.series.map((s, i) => {
          const pts = s.points.filter(p => p[1] !== null && Number.isFinite(p[1] as number));
          const color = SERIES_COLORS[i % SERIES_COLORS.length];
          if (pts.length === 1) {
            return (
              <circle
                key={i}
                className="jp-mlops-series"
                cx={sx(pts[0][0])}
                cy={sy(pts[0][1] as number)}
                r={3}
                style={{ fill: color }}
              />
            );
          }
          const d = pts
            .map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)},${sy(p[1] as number).toFixed(1)}`)
            .join('');
          return <path key={i} className="jp-mlops-series" d={d} style={{ stroke: color }} />;
        })}
      </svg>
      {props.series.length > 1 && (
        <div className="jp-mlops-legend">
          {props.series.map((s, i) => (
            <span key={i} className="jp-mlops-legend-item">
              <span className="jp-mlops-swatch" style={{ background: SERIES_COLORS[i % SERIES_COLORS.length] }} />
              {s.label}
            </span>
          ))}
        </div>
      )}
    </div>
  );
}
