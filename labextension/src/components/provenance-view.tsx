/** A run's provenance: hidden-state warning, git state, packages, notebook and cell source. */
import * as React from 'react';

import { IRunDetail } from '../types';
import { ExecutionHistory } from './hidden-state-badge';
import { KeyValueTable } from './kv-table';
import { RunEnvironment } from './run-environment';

export interface IProvenanceViewProps {
  run: IRunDetail;
}

export function ProvenanceView(props: IProvenanceViewProps): JSX.Element {
  const p = props.run.provenance ?? {};
  const git = p.git ?? {};
  const cell = p.cell ?? {};
  const packages = Object.entries(p.packages ?? {}).sort();
  const rows: [string, string][] = [
    ['git commit', String(git.commit ?? '')],
    ['git branch', String(git.branch ?? '')],
    ['uncommitted changes', git.dirty === undefined ? '' : git.dirty ? 'yes (dirty)' : 'no'],
    ['notebook', props.run.source_notebook ?? ''],
    ['cell id', props.run.cell_id ?? '']
  ];
  return (
    <div className="jp-mlops-Provenance">
      {cell.hidden_state && (
        <div className="jp-mlops-warning jp-mlops-HiddenState">
          Hidden state: {cell.hidden_state_reason || 'this cell read state the notebook no longer reproduces'}
        </div>
      )}
      <KeyValueTable rows={rows.filter(r => r[1] !== '')} empty="no provenance recorded" />
      <RunEnvironment provenance={p} />
      <ExecutionHistory cell={cell} />
      {packages.length > 0 && (
        <details>
          <summary>{packages.length} packages</summary>
          <KeyValueTable rows={packages.map(([k, v]) => [k, String(v)])} />
        </details>
      )}
      {cell.source && (
        <details open>
          <summary>Cell source</summary>
          <pre className="jp-mlops-CellSource">{String(cell.source)}</pre>
        </details>
      )}
    </div>
  );
}
