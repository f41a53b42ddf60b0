/**
 * Views for hyper-parameter work over compared runs: parallel coordinates, a scatter of any param
 * against any metric, and parameter importance (a random forest's, from the server, plus correlation).
 */
import * as React from 'react';

import { correlation, importanceSpec, IPointRow, numericColumns, parallelSpec, scatterSpec } from '../chart-spec';
import { useAsyncEffect, useServices } from '../hooks';
import { IRunDetail } from '../types';
import { VegaView } from './vega-view';

export interface IHpViewProps {
  runs: IRunDetail[];
  /** Legend label of each run (same order as runs). */
  labels: string[];
  paramKeys: string[];
  metricKeys: string[];
}

function useRows(props: IHpViewProps): IPointRow[] {
  const { runs, labels, paramKeys, metricKeys } = props;
  return React.useMemo(
    () =>
      numericColumns(
        runs.map((r, i) => ({ label: labels[i], params: r.params, metrics: r.metrics })),
        paramKeys,
        metricKeys
      ),
    [runs, labels, paramKeys, metricKeys]
  );
}

function Picker(props: {
  label: string;
  value: string;
  options: string[];
  onChange: (v: string) => void;
}): JSX.Element {
  return (
    <label className="jp-mlops-Picker">
      {props.label}{' '}
      <select aria-label={props.label} value={props.value} onChange={e => props.onChange(e.target.value)}>
        {props.options.map(o => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

export function ParallelCoordinates(props: IHpViewProps): JSX.Element {
  const rows = useRows(props);
  const [metric, setMetric] = React.useState(props.metricKeys[0] ?? '');
  const fields = [...props.paramKeys.map(k => `params.${k}`), ...(metric ? [`metrics.${metric}`] : [])];
  return (
    <div className="jp-mlops-HpView">
      <Picker label="colour by metric" value={metric} options={props.metricKeys} onChange={setMetric} />
      <VegaView
        label="parallel coordinates"
        className="jp-mlops-ParallelCoordinates"
        specKey={JSON.stringify([rows, fields, metric])}
        spec={theme => parallelSpec(rows, fields, `metrics.${metric}`, theme)}
      />
    </div>
  );
}

export function ParamScatter(props: IHpViewProps): JSX.Element {
  const rows = useRows(props);
  const [param, setParam] = React.useState(props.paramKeys[0] ?? '');
  const [metric, setMetric] = React.useState(props.metricKeys[0] ?? '');
  const [logX, setLogX] = React.useState(false);
  return (
    <div className="jp-mlops-HpView">
      <Picker label="parameter" value={param} options={props.paramKeys} onChange={setParam} />
      <Picker label="metric" value={metric} options={props.metricKeys} onChange={setMetric} />
      <label>
        <input type="checkbox" checked={logX} onChange={e => setLogX(e.target.checked)} /> log x
      </label>
      <VegaView
        label={`scatter of ${metric} against ${param}`}
        className="jp-mlops-Scatter"
        specKey={JSON.stringify([rows, param, metric, logX])}
        spec={theme => scatterSpec(rows, `params.${param}`, `metrics.${metric}`, theme, logX)}
      />
    </div>
  );
}

export function ParamImportance(props: IHpViewProps): JSX.Element {
  const { client } = useServices();
  const rows = useRows(props);
  const [metric, setMetric] = React.useState(props.metricKeys[0] ?? '');
  const ids = props.runs.map(r => r.run_id).join(',');
  const forest = useAsyncEffect(() => client.getImportance(ids.split(','), metric), [client, ids, metric]);
  const bars = props.paramKeys.map(k => {
    const pairs = rows
      .map(r => [r.values[`params.${k}`], r.values[`metrics.${metric}`]])
      .filter((p): p is [number, number] => p[0] !== null && p[1] !== null);
    return {
      param: k,
      importance: forest.data?.importance[k] ?? null,
      correlation: correlation(
        pairs.map(p => p[0]),
        pairs.map(p => p[1])
      )
    };
  });
  return (
    <div className="jp-mlops-HpView">
      <Picker label="metric" value={metric} options={props.metricKeys} onChange={setMetric} />
      <span className="jp-mlops-muted">
        {forest.data?.method ?? (forest.error ? `importance unavailable: ${forest.error}` : 'computing…')}
      </span>
      <VegaView
        label={`parameter importance for ${metric}`}
        className="jp-mlops-Importance"
        specKey={JSON.stringify(bars)}
        spec={theme => importanceSpec(bars, theme)}
      />
    </div>
  );
}
