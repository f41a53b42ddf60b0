/** One run in a main-area tab: params, metric curves, figures, tables, provenance, actions. */
import * as React from 'react';

import { formatNumber, formatTime, formatValue } from '../format';
import { useAsyncEffect, useServices } from '../hooks';
import { runDuration, useNow } from '../live-duration';
import { IArtifact, IRunDetail } from '../types';
import { ArtifactView } from './artifact-view';
import { KeyValueTable } from './kv-table';
import { RunChart } from './run-chart';
import { ProvenanceView } from './provenance-view';
import { RunModels } from './run-models';
import { RunActions } from './run-actions';
import { RunFamily } from './run-family';
import { GateBadge } from './gate-badge';
import { HiddenStateBadge } from './hidden-state-badge';
import { StatusBadge } from './status-badge';
import { OpenCellButton } from './open-cell-button';
import { RunNotes } from './run-notes';
import { RunStdout } from './run-stdout';
import { RunTagsEditor } from './run-tags-editor';

export interface IRunDetailProps {
  runId: string;
  onDeleted: () => void;
}

function stem(name: string): string {
  return name.replace(/\.[^.]+$/, '');
}

/** Figures once per name (PNG preferred over its SVG twin), and the other artifacts. */
function splitArtifacts(artifacts: IArtifact[]): { figures: IArtifact[]; others: IArtifact[] } {
  const images = artifacts.filter(a => a.media_type.startsWith('image/'));
  const figures = images.filter(
    a =>
      a.media_type === 'image/png' || !images.some(b => b.media_type === 'image/png' && stem(b.name) === stem(a.name))
  );
  return { figures, others: artifacts.filter(a => !a.media_type.startsWith('image/')) };
}

/** The overview table (tags have their own editor: run-tags-editor.tsx). `now` ticks while the
 * run is running, so its duration counts up each second. */
function overviewRows(r: IRunDetail, now: number | null): [string, string][] {
  const rows: [string, string][] = [
    ['experiment', r.experiment],
    ['started', formatTime(r.start_time)],
    ['ended', formatTime(r.end_time)],
    ['duration', runDuration(r, now)],
    ['parent run', r.parent_run_id ?? '']
  ];
  return rows.filter(x => x[1] !== '');
}

export function RunDetail(props: IRunDetailProps): JSX.Element {
  const { client, changeCount } = useServices();
  const isRunning = (r: IRunDetail | null) => r?.status === 'running';
  const { runId } = props;
  // changeCount and updated_at are listed so a change refetches (they are not read)
  const run = useAsyncEffect(() => client.getRun(runId), [client, runId, changeCount], isRunning);
  const metrics = useAsyncEffect(() => client.getMetrics(runId), [client, runId, run.data?.updated_at]);
  const now = useNow(isRunning(run.data));
  if (run.error) {
    return <div className="jp-mlops-RunDetail jp-mlops-error">{run.error}</div>;
  }
  if (!run.data) {
    return <div className="jp-mlops-RunDetail jp-mlops-muted">loading…</div>;
  }
  const r = run.data;
  const { figures, others } = splitArtifacts(r.artifacts);
  return (
    <div className="jp-mlops-RunDetail" data-run-id={r.run_id}>
      <div className="jp-mlops-RunDetail-header">
        <StatusBadge status={r.status} />
        <GateBadge tags={r.tags} />
        <HiddenStateBadge run={r} />
        <h2 className="jp-mlops-RunDetail-name">{r.name}</h2>
        <span className="jp-mlops-muted">{r.run_id}</span>
      </div>
      <RunActions run={r} onChanged={run.reload} onDeleted={props.onDeleted} />
      <OpenCellButton run={r} />
      {r.error && <pre className="jp-mlops-error jp-mlops-RunError">{r.error}</pre>}
      <RunFamily run={r} />
      <RunNotes run={r} onChanged={run.reload} />
      <section>
        <h3>Overview</h3>
        <KeyValueTable rows={overviewRows(r, now)} className="jp-mlops-Overview" />
      </section>
      <RunTagsEditor run={r} onChanged={run.reload} />
      <div className="jp-mlops-columns">
        <section className="jp-mlops-Params">
          <h3>Parameters</h3>
          <KeyValueTable
            rows={Object.entries(r.params)
              .sort()
              .map(([k, v]) => [k, formatValue(v)])}
            empty="no parameters"
          />
        </section>
        <section className="jp-mlops-Metrics">
          <h3>Metrics</h3>
          <KeyValueTable
            rows={Object.entries(r.metrics)
              .sort()
              .map(([k, v]) => [k, formatNumber(v)])}
            empty="no metrics"
          />
        </section>
      </div>
      <section>
        <h3>Metric curves</h3>
        {metrics.error && <div className="jp-mlops-error">{metrics.error}</div>}
        <div className="jp-mlops-Charts">
          {(metrics.data?.metrics ?? [])
            .filter(m => m.points.length > 1)
            .map(m => (
              <RunChart
                key={m.key}
                metric={m.key}
                lines={[{ id: r.run_id, label: `${r.name} \u00B7 ${r.run_id.slice(0, 8)}`, points: m.points }]}
              />
            ))}
        </div>
      </section>
      <RunStdout runId={r.run_id} artifacts={r.artifacts} />
      {figures.length > 0 && (
        <section>
          <h3>Figures</h3>
          <div className="jp-mlops-Figures">
            {figures.map(a => (
              <ArtifactView key={a.sha256 + a.name} runId={r.run_id} artifact={a} />
            ))}
          </div>
        </section>
      )}
      {others.length > 0 && (
        <section>
          <h3>Artifacts</h3>
          {others.map(a => (
            <ArtifactView key={a.sha256 + a.name} runId={r.run_id} artifact={a} />
          ))}
        </section>
      )}
      <RunModels runId={r.run_id} />
      <section>
        <h3>Provenance</h3>
        <ProvenanceView run={r} />
      </section>
    </div>
  );
}
