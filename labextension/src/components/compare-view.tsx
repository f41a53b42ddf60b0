/**
 * Several runs side by side: parameter diff, metrics with the best value marked, overlaid curves
 * and figures (Overview), and the hyper-parameter views, one tab each (add a tab to COMPARE_TABS).
 */
import * as React from 'react';

import { bestIndex, lineLabel } from '../chart-spec';
import { formatNumber, formatValue } from '../format';
import { useAsyncEffect, useServices } from '../hooks';
import { ICompareReply } from '../types';
import { ArtifactImage } from './artifact-view';
import { DifferencesView } from './differences-view';
import { DriftView } from './drift-view';
import { GateBadge } from './gate-badge';
import { IHpViewProps, ParallelCoordinates, ParamImportance, ParamScatter } from './hp-views';
import { RunChart } from './run-chart';
import { StatusBadge } from './status-badge';
import { preloadCharts } from './vega-view';

/** What a compare tab gets: the comparison, and each run's legend label. */
export interface ICompareTabProps {
  comparison: ICompareReply;
  labels: string[];
}

export interface ICompareTab {
  id: string;
  label: string;
  render: (props: ICompareTabProps) => JSX.Element;
  /** Shown only for comparisons this accepts (default: all). */
  only?: (comparison: ICompareReply) => boolean;
}

function hpProps(p: ICompareTabProps): IHpViewProps {
  const c = p.comparison;
  const varying = c.differing_params.length > 0 ? c.differing_params : c.param_keys;
  return { runs: c.runs, labels: p.labels, paramKeys: varying, metricKeys: c.metric_keys };
}

/** The tabs after Overview (other views add theirs here). */
export const COMPARE_TABS: ICompareTab[] = [
  { id: 'parallel', label: 'Parallel coordinates', render: p => <ParallelCoordinates {...hpProps(p)} /> },
  { id: 'scatter', label: 'Scatter', render: p => <ParamScatter {...hpProps(p)} /> },
  { id: 'importance', label: 'Importance', render: p => <ParamImportance {...hpProps(p)} /> },
  {
    id: 'differences',
    label: 'Differences',
    only: c => c.runs.length === 2,
    render: p => <DifferencesView runA={p.comparison.runs[0].run_id} runB={p.comparison.runs[1].run_id} />
  },
  { id: 'drift', label: 'Drift', render: p => <DriftView runs={p.comparison.runs} /> }
];

export interface ICompareViewProps {
  runIds: string[];
}

export function CompareView(props: ICompareViewProps): JSX.Element {
  const { client } = useServices();
  const [onlyDiff, setOnlyDiff] = React.useState(false);
  const [tab, setTab] = React.useState('overview');
  // one key for the ids, so a new array with the same runs does not refetch
  const key = props.runIds.join(',');
  React.useEffect(preloadCharts, []); // the charts' code loads while the comparison does
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
  const labels = c.runs.map(r => lineLabel(r.name, r.run_id, r.params, c.differing_params));
  const tabs = COMPARE_TABS.filter(t => !t.only || t.only(c));
  const active = tabs.find(t => t.id === tab);
  return (
    <div className="jp-mlops-CompareView">
      <h2>Compare {c.runs.length} runs</h2>
      <div className="jp-mlops-Tabs" role="tablist" aria-label="compare views">
        {[{ id: 'overview', label: 'Side by side' }, ...tabs].map(t => (
          <button
            key={t.id}
            role="tab"
            aria-selected={tab === t.id}
            className={`jp-mlops-Tab${tab === t.id ? ' jp-mod-active' : ''}`}
            onClick={() => setTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      {active ? (
        <div role="tabpanel" aria-label={active.label}>
          {active.render({ comparison: c, labels })}
        </div>
      ) : (
        <Overview comparison={c} labels={labels} onlyDiff={onlyDiff} setOnlyDiff={setOnlyDiff} />
      )}
    </div>
  );
}

function Overview(props: ICompareTabProps & { onlyDiff: boolean; setOnlyDiff: (v: boolean) => void }): JSX.Element {
  const { comparison: c, labels, onlyDiff, setOnlyDiff } = props;
  const differing = new Set(c.differing_params);
  const paramTexts = new Map(c.fields.filter(f => f.family === 'params').map(f => [f.key, f.texts]));
  const paramKeys = onlyDiff ? c.param_keys.filter(k => differing.has(k)) : c.param_keys;
  const figureNames = [
    ...new Set(c.runs.flatMap(r => r.artifacts.filter(a => a.media_type === 'image/png').map(a => a.name)))
  ].sort();
  return (
    <>
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
              {c.runs.map((r, i) => (
                <th key={r.run_id} title={labels[i]}>
                  {r.name}
                  <div className="jp-mlops-muted">{r.run_id.slice(0, 8)}</div>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {c.metric_keys.map(k => {
              const best =
                c.runs.length > 1
                  ? bestIndex(
                      k,
                      c.runs.map(r => r.metrics[k])
                    )
                  : -1;
              return (
                <tr key={k} data-metric={k}>
                  <th>{k}</th>
                  {c.runs.map((r, i) => (
                    <td
                      key={r.run_id}
                      className={i === best ? 'jp-mlops-best' : ''}
                      title={i === best ? 'best value' : undefined}
                    >
                      {formatNumber(r.metrics[k])}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
        <div className="jp-mlops-Charts">
          {c.metric_keys
            .filter(k => Object.values(c.histories[k] ?? {}).some(p => p.length > 1))
            .map(k => (
              <RunChart
                key={k}
                metric={k}
                lines={c.runs
                  .map((r, i) => ({ id: r.run_id, label: labels[i], points: c.histories[k]?.[r.run_id] }))
                  .filter((l): l is { id: string; label: string; points: NonNullable<typeof l.points> } => !!l.points)}
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
                      <div className="jp-mlops-muted">{labels[c.runs.indexOf(r)]}</div>
                      {a ? <ArtifactImage runId={r.run_id} artifact={a} /> : <div className="jp-mlops-muted">—</div>}
                    </div>
                  );
                })}
              </div>
            </div>
          ))}
        </section>
      )}
    </>
  );
}
