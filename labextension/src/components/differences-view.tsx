/** The compare view's Differences tab: why run A differs from run B, one row per difference. */
import * as React from 'react';

import { formatValue } from '../format';
import { useAsyncEffect, useServices } from '../hooks';
import { IDifference, ParamValue } from '../types';

export interface IDifferencesViewProps {
  runA: string;
  runB: string;
}

export function DifferencesView(props: IDifferencesViewProps): JSX.Element {
  const { client } = useServices();
  const state = useAsyncEffect(() => client.diffRuns(props.runA, props.runB), [client, props.runA, props.runB]);
  if (state.error) {
    return <div className="jp-mlops-DifferencesView jp-mlops-error">{state.error}</div>;
  }
  if (!state.data) {
    return <div className="jp-mlops-DifferencesView jp-mlops-muted">loading…</div>;
  }
  const differences = state.data.differences;
  if (differences.length === 0) {
    return <div className="jp-mlops-DifferencesView jp-mlops-muted">nothing differs</div>;
  }
  return (
    <div className="jp-mlops-DifferencesView">
      <table className="jp-mlops-CompareTable">
        <thead>
          <tr>
            <th>kind</th>
            <th>key</th>
            <th>A</th>
            <th>B</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {differences.map((d, i) => (
            <DifferenceRow key={`${d.kind}:${d.key}:${i}`} difference={d} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DifferenceRow(props: { difference: IDifference }): JSX.Element {
  const d = props.difference;
  return (
    <tr data-kind={d.kind} data-key={d.key}>
      <td>{d.kind}</td>
      <th>{d.key}</th>
      <td>{show(d.a)}</td>
      <td>{show(d.b)}</td>
      <td>
        {d.delta !== undefined && d.delta !== null && <span>Δ {formatValue(d.delta)}</span>}
        {d.changes && (
          <ul className="jp-mlops-DiffChanges">
            {d.changes.map(c => (
              <li key={c}>{c}</li>
            ))}
          </ul>
        )}
        {d.diff && <pre className="jp-mlops-UnifiedDiff">{d.diff}</pre>}
      </td>
    </tr>
  );
}

/** A value of one run as text ("—" when the run does not have it). */
function show(value: unknown): string {
  return value === null || value === undefined ? '—' : formatValue(value as ParamValue);
}
