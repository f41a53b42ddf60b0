/** A metric's curves for one or more runs, with log scale and smoothing switches (Vega-Lite). */
import * as React from 'react';

import { curveSpec, IChartLine } from '../chart-spec';
import { VegaView } from './vega-view';

export interface IRunChartProps {
  metric: string;
  lines: IChartLine[];
}

/** Changes whenever the drawn data does (live runs add points), cheaply. */
function dataKey(lines: IChartLine[]): string {
  return lines
    .map(l => {
      const last = l.points[l.points.length - 1];
      return `${l.id}:${l.label}:${l.points.length}:${last ? last.join('/') : ''}`;
    })
    .join('|');
}

export function RunChart(props: IRunChartProps): JSX.Element {
  const { metric, lines } = props;
  const [log, setLog] = React.useState(false);
  const [smoothing, setSmoothing] = React.useState(0);
  const key = `${metric}|${log}|${smoothing}|${dataKey(lines)}`;
  return (
    <div className="jp-mlops-RunChart" data-metric={metric}>
      <div className="jp-mlops-RunChart-head">
        <span className="jp-mlops-RunChart-title" title={metric}>
          {metric}
        </span>
        <label title="Logarithmic y axis (values <= 0 are left out)">
          <input type="checkbox" checked={log} onChange={e => setLog(e.target.checked)} /> log
        </label>
        <label title="Moving average over this many points">
          smooth
          <input
            type="range"
            min={0}
            max={25}
            value={smoothing}
            aria-label={`smoothing of ${metric}`}
            onChange={e => setSmoothing(Number(e.target.value))}
          />
        </label>
      </div>
      <VegaView
        label={`${metric} curves`}
        className="jp-mlops-CurveChart"
        specKey={key}
        spec={theme => curveSpec(metric, lines, { log, smoothing }, theme)}
      />
    </div>
  );
}
