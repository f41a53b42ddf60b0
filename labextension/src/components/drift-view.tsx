/** The Drift tab of compare: per column of the tables two runs share, the drift test's verdict
 * against a baseline run chosen among the compared ones, and the schema changes. */
import * as React from 'react';

import { formatNumber } from '../format';
import { useAsyncEffect, useServices } from '../hooks';
import { IDriftReport } from '../types';

export interface IDriftViewProps {
  runs: { run_id: string; name: string }[];
}

export function DriftView(props: IDriftViewProps): JSX.Element {
  const [baseline, setBaseline] = React.useState(props.runs[0]?.run_id ?? '');
  const others = props.runs.filter(r => r.run_id !== baseline);
  return (
    <div className="jp-mlops-DriftView">
      <label className="jp-mlops-muted">
        baseline{' '}
        <select value={baseline} onChange={e => setBaseline(e.target.value)} aria-label="drift baseline">
          {props.runs.map(r => (
            <option key={r.run_id} value={r.run_id}>
              {r.name} ({r.run_id.slice(0, 8)})
            </option>
          ))}
        </select>
      </label>
      {others.map(r => (
        <RunDrift key={`${r.run_id}-${baseline}`} runId={r.run_id} name={r.name} baseline={baseline} />
      ))}
    </div>
  );
}

function RunDrift(props: { runId: string; name: string; baseline: string }): JSX.Element {
  const { client } = useServices();
  const { runId, baseline } = props;
  const state = useAsyncEffect(() => client.getDrift(runId, baseline), [client, runId, baseline]);
  return (
    <div className="jp-mlops-RunDrift" data-run-id={runId}>
      <h4>{props.name}</h4>
      {state.error && <div className="jp-mlops-muted">{state.error}</div>}
      {!state.error && !state.data && <div className="jp-mlops-muted">loading…</div>}
      {state.data && <DriftTables report={state.data} />}
    </div>
  );
}

export function DriftTables(props: { report: IDriftReport }): JSX.Element {
  const r = props.report;
  return (
    <>
      {r.tables.map(t => (
        <div key={t.table} className="jp-mlops-muted">
          {t.table}: {t.drifted} of {t.tested} columns drifted{t.dataset_drift ? ' (dataset drift)' : ''}
        </div>
      ))}
      <table className="jp-mlops-CompareTable jp-mlops-DriftTable">
        <thead>
          <tr>
            <th>table</th>
            <th>column</th>
            <th>method</th>
            <th>statistic</th>
            <th>threshold</th>
            <th>verdict</th>
          </tr>
        </thead>
        <tbody>
          {r.columns.map(c => (
            <tr key={`${c.table}.${c.column}`} className={c.drifted ? 'jp-mlops-differs' : ''} data-column={c.column}>
              <td>{c.table}</td>
              <td>{c.column}</td>
              <td>{c.method}</td>
              <td>{c.statistic === null ? '—' : formatNumber(c.statistic)}</td>
              <td>{formatNumber(c.threshold)}</td>
              <td>{c.drifted ? 'drift' : 'ok'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {r.schema.length > 0 && (
        <ul className="jp-mlops-SchemaChanges">
          {r.schema.map(s => (
            <li key={`${s.table}.${s.column ?? ''}.${s.change}`}>
              {s.column ? `${s.table}.${s.column}` : s.table}: {s.change}
              {s.column ? ` (${s.baseline ?? '—'} → ${s.current ?? '—'})` : ''}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
