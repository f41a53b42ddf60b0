/** The trash: runs deleted from the panel, newest deletion first, to restore until `store gc`. */
import * as React from 'react';

import { errorMessage } from '../errors';
import { formatTime } from '../format';
import { useAsyncEffect, useServices } from '../hooks';
import { ITrashPage } from '../types';
import { StatusBadge } from './status-badge';

export function TrashView(props: { onClose: () => void }): JSX.Element {
  const services = useServices();
  const trash = useAsyncEffect<ITrashPage>(
    () => services.client.listTrash({ limit: 200 }),
    [services.client, services.changeCount]
  );
  const [chosen, setChosen] = React.useState<Set<string>>(new Set());
  const [error, setError] = React.useState<string | null>(null);
  const restore = async () => {
    try {
      await services.client.restoreRuns([...chosen]);
      setChosen(new Set());
      setError(null);
      services.notifyChanged();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  const runs = trash.data?.runs ?? [];
  return (
    <div className="jp-mlops-TrashView" aria-label="trash">
      <div className="jp-mlops-Toolbar">
        <span className="jp-mlops-count">
          {trash.data ? `${trash.data.total} in the trash` : 'loading…'} · purged by `mlops-jupyter store gc`
        </span>
        <span className="jp-mlops-spacer" />
        <button className="jp-mlops-button" disabled={chosen.size === 0} onClick={() => void restore()}>
          Restore
        </button>
        <button className="jp-mlops-button" onClick={props.onClose}>
          Close
        </button>
      </div>
      {(error || trash.error) && <div className="jp-mlops-error">{error ?? trash.error}</div>}
      <ul className="jp-mlops-TrashList">
        {runs.map(r => (
          <li key={r.run_id} data-run-id={r.run_id}>
            <label title={`${r.name} · ${r.run_id}`}>
              <input
                type="checkbox"
                aria-label={`restore ${r.name}`}
                checked={chosen.has(r.run_id)}
                onChange={() =>
                  setChosen(prev => {
                    const next = new Set(prev);
                    if (next.has(r.run_id)) {
                      next.delete(r.run_id);
                    } else {
                      next.add(r.run_id);
                    }
                    return next;
                  })
                }
              />
              <StatusBadge status={r.status} compact />
              <span className="jp-mlops-RunName">{r.name}</span>
              <span className="jp-mlops-muted">
                {' '}
                {r.run_id.slice(0, 8)} · deleted {formatTime(r.deleted_at)}
              </span>
            </label>
          </li>
        ))}
      </ul>
    </div>
  );
}
