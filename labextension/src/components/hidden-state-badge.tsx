/** Hidden state where users look: a badge on a run (runs list, run header) and, on the run page, the reason and the kernel's execution history. */
import * as React from 'react';

import { IProvenance, IRun } from '../types';

/** The tag %%track sets on a run whose cell read hidden state; its value is the reason. */
export const HIDDEN_STATE_TAG = 'mlops.hidden_state';

/** The hidden-state reason of a run, or null when it has none. */
export function hiddenStateReason(run: Pick<IRun, 'tags'>): string | null {
  const reason = run.tags?.[HIDDEN_STATE_TAG];
  return reason ? reason : null;
}

export interface IHiddenStateBadgeProps {
  run: Pick<IRun, 'tags'>;
  /** compact: an icon only (the runs list); otherwise the words too (the run header). */
  compact?: boolean;
}

export function HiddenStateBadge(props: IHiddenStateBadgeProps): JSX.Element | null {
  const reason = hiddenStateReason(props.run);
  if (!reason) {
    return null;
  }
  return (
    <span className="jp-mlops-HiddenStateBadge" title={`Hidden state: ${reason}`} aria-label="hidden state">
      {props.compact ? '⚠' : '⚠ hidden state'}
    </span>
  );
}

interface IHistoryEntry {
  execution_count?: number;
  cell_id?: string | null;
  source_sha256?: string;
}

export interface IExecutionHistoryProps {
  cell: NonNullable<IProvenance['cell']>;
}

/** The reason and the executions the kernel ran before this cell, in order (the current one last). */
export function ExecutionHistory(props: IExecutionHistoryProps): JSX.Element | null {
  const history = (Array.isArray(props.cell.history) ? props.cell.history : []) as IHistoryEntry[];
  if (history.length === 0) {
    return null;
  }
  const current = history.length - 1;
  return (
    <details className="jp-mlops-ExecutionHistory">
      <summary>Execution history ({history.length} executions in this kernel)</summary>
      <table className="jp-mlops-kv">
        <thead>
          <tr>
            <th>In</th>
            <th>cell id</th>
            <th>code sha256</th>
          </tr>
        </thead>
        <tbody>
          {history.map((entry, i) => (
            <tr key={i} className={i === current ? 'jp-mlops-current' : undefined}>
              <td>{`[${String(entry.execution_count ?? '')}]${i === current ? ' this cell' : ''}`}</td>
              <td>{String(entry.cell_id ?? '')}</td>
              <td>{String(entry.source_sha256 ?? '').slice(0, 12)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
