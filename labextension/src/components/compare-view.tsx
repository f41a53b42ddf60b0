/** Several runs side by side: parameter diff, overlaid metric curves, figures side by side. */
import * as React from 'react';

import { formatNumber, formatValue } from '../format';
import { useAsyncEffect, useServices } from '../hooks';
import { ArtifactImage } from './artifact-view';
import { DriftView } from './drift-view';
import { GateBadge } from './gate-badge';
import { CompareTab, CompareTabs, DifferencesView } from './differences-view';
import { MetricChart } from './metric-chart';
import { StatusBadge } from './status-badge';

export interface ICompareViewProps {
  runIds: string[];
}

export function CompareView(props: ICompareViewProps): JSX.Element {
  const { client } = useServices();
  const [onlyDiff, setOnlyDiff] = React.useState(false);
  const [tab, setTab] = React.useState<CompareTab>('side');
  // one key for the ids, so a new array with the same runs does not refetch
  const key = props.runIds.join(',');
  const state = useAsyncEffect(
    () => client.compareRuns(key.split(',')),
    [client, key],
    data => (data?.runs ?? []).some(r => r.status === 'running')
  );
  if (state.error) {
    return <div className="jp-mlops-CompareView jp-mlops-error">{state.error}</div>;
  }
  if (!state.data) {
    return <div className="jp-mlops-CompareView jp-mlops-muted">loading…</div>;
  }
  const c = state.data;
  const differing = new Set(c.differing_params);
  const paramTexts = new Map(c.fields.filter(f => f.family === 'params').map(f => [f.key, f.texts]));
  const paramKeys = onlyDiff ? c.param_keys.filter(k => differing.has(k)) : c.param_keys;
  const figureNames = [
    ...new Set(c.runs.flatMap(r => r.artifacts.filter(a => a.media_type === 'image/png').map(a => a.name)))
  ].sort();
  const tabs = c.runs.length === 2 ? <CompareTabs tab={tab} onChange={setTab} /> : null;
  if (tabs && tab === 'differences') {
    return (
      <div className="jp-mlops-CompareView">
        <h2>Compare {c.runs.length} runs</h2>
        {tabs}
        <DifferencesView runA={c.runs[0].run_id} runB={c.runs[1].run_id} />
      </div>
    );
  }
  if (tabs && tab === 'drift') {
    return (
      <div className="jp-mlops-CompareView">
        <h2>Compare {c.runs.length} runs</h2>
        {tabs}
        <DriftView runs={c.runs} />
      </div>
    );
  }

  return (
    <div className="jp-mlops-CompareView">
      <h2>Compare {c.runs.length} runs</h2>
      {tabs}
      <section>
        <h3>
          Parameters{' '}
          <label className="jp-mlops-muted">
            <input type="checkbox" checked={onlyDiff} onChange={e => setOnlyDiff(e.target.checked)} /> only differences
          </label>
        </h3>
        <table className="jp-mlops-CompareTable">
          <thead>
            <tr>
              <th />
              {c.runs.map(r => (
                <th key={r.run_id} data-run-id={r.run_id}>
                  <StatusBadge status={r.status} /> <GateBadge tags={r.tags} /> {r.name}
                  <div className="jp-mlops-muted">{r.run_id.slice(0, 8)}</div>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {paramKeys.map(k => (
              <tr key={k} className={differing.has(k) ? 'jp-mlops-differs' : ''} data-param={k}>
                <th>{k}</th>
                {c.runs.map((r, i) => (
                  <td key={r.run_id}>{paramTexts.get(k)?.[i] ?? formatValue(r.params[k])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h3>Metrics</h3>
        <table className="jp-mlops-CompareTable">
          <thead>
            <tr>
              <th />
              {c.runs.map(r => (
                <th key={r.run_id}>{r.name}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {c.metric_keys.map(k => (
              <tr key={k} data-metric={k}>
                <th>{k}</th>
                {c.runs.map(r => (
                  <td key={r.run_id}>{formatNumber(r.metrics[k])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        <div className="jp-mlops-Charts">
          {c.metric_keys
            .filter(k => Object.values(c.histories[k] ?? {}).some(p => p.length > 1))
            .map(k => (
              <MetricChart
                key={k}
                title={k}
                series={c.runs
                  .filter(r => c.histories[k]?.[r.run_id])
                  .map(r => ({ label: r.name, points: c.histories[k][r.run_id] }))}
              />
            ))}
        </div>
      </section>
      {figureNames.length > 0 && (
        <section>
          <h3>Figures</h3>
          {figureNames.map(name => (
            <div key={name} className="jp-mlops-FigureRow">
              <div className="jp-mlops-muted">{name}</div>
              <div className="jp-mlops-Figures">
                {c.runs.map(r => {
                  const a = r.artifacts.find(x => x.name === name && x.media_type === 'image/png');
                  return (
                    <div key={r.run_id} className="jp-mlops-FigureCell">
                      <div className="jp-mlops-muted">{r.name}</div>
                      {a ? <ArtifactImage runId={r.run_id} artifact={a} /> : <div className="jp-mlops-muted">—</div>}
                    </div>
                  );
                })}
              </div>
            </div>
          ))}
        </section>
      )}
      {!tabs && (
        <section>
          <h3>Drift</h3>
          <DriftView runs={c.runs} />
        </section>
      )}
    </div>
  );
}
