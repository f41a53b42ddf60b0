/**
 * A run's place in its tree: a link to its parent, and for a sweep (or any run with children) the
 * points table the CLI prints, with "compare all points" over each point's `%%track` child.
 */
import * as React from 'react';

import { errorMessage } from '../errors';
import { formatDuration, formatNumber, formatValue } from '../format';
import { useAsyncEffect, useServices } from '../hooks';
import { childrenFilter, MAX_CHILDREN } from '../run-tree';
import { collectKeys } from '../run-summary';
import { IRun, IRunDetail, IRunsPage } from '../types';
import { StatusBadge } from './status-badge';

/** A clickable short id that opens the run (ids are links wherever a run names another). */
export function RunLink(props: { runId: string; name?: string }): JSX.Element {
  const { openRun } = useServices();
  return (
    <button
      className="jp-mlops-RunLink"
      title={`open run ${props.runId}`}
      onClick={() => openRun(props.runId, props.name ?? props.runId.slice(0, 8))}
    >
      {props.name ? `${props.name} · ` : ''}
      {props.runId.slice(0, 8)}
    </button>
  );
}

/** The runs to compare for the points: each point's tracked child when it has one (curves, figures). */
async function comparePoints(client: ReturnType<typeof useServices>['client'], page: IRunsPage): Promise<string[]> {
  const counts = page.child_counts ?? {};
  const ids: string[] = [];
  for (const point of page.runs) {
    if ((counts[point.run_id] ?? 0) > 0) {
      const kids = await client.listRuns({
        filter: childrenFilter(point.run_id),
        limit: 1,
        order_by: 'start_time ASC'
      });
      ids.push(kids.runs[0]?.run_id ?? point.run_id);
    } else {
      ids.push(point.run_id);
    }
  }
  return ids;
}

function PointsTable(props: { points: IRun[] }): JSX.Element {
  const keys = collectKeys(props.points);
  const params = keys.varying.length > 0 ? keys.varying : keys.params.slice(0, 3);
  const metrics = keys.used.slice(0, 4);
  return (
    <table className="jp-mlops-PointsTable">
      <thead>
        <tr>
          <th>#</th>
          <th>status</th>
          {params.map(k => (
            <th key={`p${k}`} title={`parameter ${k}`}>
              {k}
            </th>
          ))}
          {metrics.map(k => (
            <th key={`m${k}`} title={`metric ${k}`}>
              {k}
            </th>
          ))}
          <th>time</th>
          <th>run</th>
        </tr>
      </thead>
      <tbody>
        {props.points.map((p, i) => (
          <tr key={p.run_id} data-run-id={p.run_id}>
            <td>{p.tags['mlops.sweep.point'] ?? i}</td>
            <td>
              <StatusBadge status={p.status} />
            </td>
            {params.map(k => (
              <td key={`p${k}`}>{formatValue(p.params[k])}</td>
            ))}
            {metrics.map(k => (
              <td key={`m${k}`}>{formatNumber(p.metrics[k])}</td>
            ))}
            <td>{formatDuration(p.duration)}</td>
            <td>
              <RunLink runId={p.run_id} name={p.name} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function RunFamily(props: { run: IRunDetail }): JSX.Element | null {
  const services = useServices();
  const { client, changeCount } = services;
  const { run_id: runId, parent_run_id: parent } = props.run;
  const children = useAsyncEffect(
    () => client.listRuns({ filter: childrenFilter(runId), order_by: 'start_time ASC', limit: MAX_CHILDREN }),
    [client, runId, changeCount]
  );
  const [error, setError] = React.useState<string | null>(null);
  const page = children.data;
  if (!parent && (!page || page.runs.length === 0)) {
    return null;
  }
  const onCompare = () => {
    if (!page) {
      return;
    }
    comparePoints(client, page).then(
      ids => services.openCompare(ids),
      err => setError(errorMessage(err))
    );
  };
  return (
    <section className="jp-mlops-RunFamily">
      {parent && (
        <div>
          parent run <RunLink runId={parent} />
        </div>
      )}
      {page && page.runs.length > 0 && (
        <>
          <h3>
            Child runs ({page.total}
            {page.total > page.runs.length ? `, first ${page.runs.length}` : ''})
          </h3>
          <PointsTable points={page.runs} />
          <button className="jp-mlops-button" disabled={page.runs.length < 2} onClick={onCompare}>
            Compare all points
          </button>
        </>
      )}
      {(error || children.error) && <div className="jp-mlops-error">{error ?? children.error}</div>}
    </section>
  );
}
