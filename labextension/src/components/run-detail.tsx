/** One run in a main-area tab: params, metric curves, figures, tables, provenance, actions. */
import * as React from 'react';
import { Dialog, InputDialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';

import { formatDuration, formatNumber, formatTime, formatValue } from '../format';
import { useAsync, useServices } from '../hooks';
import { IJob, IRunDetail, ParamValue } from '../types';
import { ArtifactView } from './artifact-view';
import { KeyValueTable } from './kv-table';
import { MetricChart } from './metric-chart';
import { RerunForm } from './rerun-form';
import { StatusBadge } from './status-badge';

export interface IRunDetailProps {
  runId: string;
  onDeleted: () => void;
}

function ProvenanceView(props: { run: IRunDetail }): JSX.Element {
  const p = props.run.provenance ?? {};
  const git = p.git ?? {};
  const cell = p.cell ?? {};
  const packages = Object.entries(p.packages ?? {}).sort();
  return (
    <div className="jp-mlops-Provenance">
      {cell.hidden_state && (
        <div className="jp-mlops-warning jp-mlops-HiddenState">
          Hidden state: {cell.hidden_state_reason || 'this cell read state the notebook no longer reproduces'}
        </div>
      )}
      <KeyValueTable
        rows={[
          ['git commit', String(git.commit ?? '')],
          ['git branch', String(git.branch ?? '')],
          ['uncommitted changes', git.dirty === undefined ? '' : git.dirty ? 'yes (dirty)' : 'no'],
          ['notebook', props.run.source_notebook ?? ''],
          ['cell id', props.run.cell_id ?? '']
        ].filter(r => r[1] !== '') as [string, string][]}
        empty="no provenance recorded"
      />
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

function RerunLoader(props: {
  run: IRunDetail;
  onSubmit: (parameters: { [key: string]: ParamValue }) => void;
  onCancel: () => void;
}): JSX.Element {
  const { client } = useServices();
  const schema = useAsync(() => client.getParameters(props.run.run_id), [props.run.run_id]);
  if (schema.error) {
    return <div className="jp-mlops-error">{schema.error}</div>;
  }
  return schema.data ? (
    <RerunForm schema={schema.data} recorded={props.run.params} onSubmit={props.onSubmit} onCancel={props.onCancel} />
  ) : (
    <div className="jp-mlops-muted">loading parameters…</div>
  );
}

export function RunDetail(props: IRunDetailProps): JSX.Element {
  const services = useServices();
  const { client, capabilities } = services;
  const isRunning = (r: IRunDetail | null) => r?.status === 'running';
  const run = useAsync(() => client.getRun(props.runId), [props.runId, services.changeCount], isRunning);
  const metrics = useAsync(() => client.getMetrics(props.runId), [props.runId, run.data?.updated_at], undefined);
  const [rerunning, setRerunning] = React.useState(false);
  const [job, setJob] = React.useState<IJob | null>(null);

  React.useEffect(() => {
    if (!job || job.status !== 'running') {
      return;
    }
    const timer = window.setInterval(async () => {
      const next = await client.getJob(job.job_id);
      if (next.status !== 'running') {
        setJob(next);
        services.notifyChanged();
      }
    }, 1000);
    return () => window.clearInterval(timer);
  }, [job]);

  if (run.error) {
    return <div className="jp-mlops-RunDetail jp-mlops-error">{run.error}</div>;
  }
  if (!run.data) {
    return <div className="jp-mlops-RunDetail jp-mlops-muted">loading…</div>;
  }
  const r = run.data;
  const actions = capabilities?.actions;

  const submitRerun = async (changed: { [key: string]: ParamValue }) => {
    try {
      setJob(await client.rerunRun(r.run_id, changed));
      setRerunning(false);
    } catch (err) {
      void showErrorMessage('Re-run failed', (err as Error).message);
    }
  };
  const reproduce = async () => {
    try {
      setJob(await client.reproduceRun(r.run_id));
    } catch (err) {
      void showErrorMessage('Reproduce failed', (err as Error).message);
    }
  };
  const remove = async () => {
    const answer = await showDialog({
      title: 'Delete this run?',
      body: `"${r.name}" (${r.run_id.slice(0, 8)}) and its records are removed from the store.`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
    });
    if (answer.button.accept) {
      await client.deleteRun(r.run_id);
      services.notifyChanged();
      props.onDeleted();
    }
  };
  const tag = async () => {
    const answer = await InputDialog.getText({ title: 'Add tag (key=value)', placeholder: 'stage=candidate' });
    if (answer.button.accept && answer.value) {
      const [key, ...rest] = answer.value.split('=');
      try {
        await client.setTags(r.run_id, { [key.trim()]: rest.join('=').trim() });
        run.reload();
        services.notifyChanged();
      } catch (err) {
        void showErrorMessage('Tagging failed', (err as Error).message);
      }
    }
  };

  const figures = r.artifacts.filter(a => a.media_type.startsWith('image/'));
  // One figure per name: prefer PNG when a figure was logged as PNG and SVG.
  const shownFigures = figures.filter(
    a => a.media_type === 'image/png' || !figures.some(b => b !== a && b.media_type === 'image/png' && stem(b.name) === stem(a.name))
  );
  const others = r.artifacts.filter(a => !a.media_type.startsWith('image/'));

  return (
    <div className="jp-mlops-RunDetail" data-run-id={r.run_id}>
      <div className="jp-mlops-RunDetail-header">
        <StatusBadge status={r.status} />
        <h2 className="jp-mlops-RunDetail-name">{r.name}</h2>
        <span className="jp-mlops-muted">{r.run_id}</span>
      </div>
      <div className="jp-mlops-Toolbar">
        {actions?.rerun && (
          <button className="jp-mlops-button" onClick={() => setRerunning(x => !x)}>
            Re-run with parameters…
          </button>
        )}
        {actions?.reproduce && (
          <button className="jp-mlops-button" onClick={reproduce}>
            Reproduce
          </button>
        )}
        {r.notebook_path && (
          <button className="jp-mlops-button" onClick={() => services.openPath(r.notebook_path as string)}>
            Open source notebook
          </button>
        )}
        <button className="jp-mlops-button" onClick={tag}>
          Tag
        </button>
        <button className="jp-mlops-button" onClick={remove}>
          Delete
        </button>
      </div>
      {rerunning && <RerunLoader run={r} onSubmit={submitRerun} onCancel={() => setRerunning(false)} />}
      {job && (
        <div className={`jp-mlops-Job jp-mlops-job-${job.status}`}>
          {job.action}: {job.status}
          {job.result ? ` — ${job.result}` : ''}
          {job.message ? ` — ${job.message}` : ''}
        </div>
      )}
      {r.error && <pre className="jp-mlops-error jp-mlops-RunError">{r.error}</pre>}
      <section>
        <h3>Overview</h3>
        <KeyValueTable
          rows={[
            ['experiment', r.experiment],
            ['started', formatTime(r.start_time)],
            ['ended', formatTime(r.end_time)],
            ['duration', formatDuration(r.duration)],
            ['parent run', r.parent_run_id ?? ''],
            ...Object.entries(r.tags).map(([k, v]) => [`tag: ${k}`, v] as [string, string])
          ].filter(x => x[1] !== '') as [string, string][]}
        />
      </section>
      <div className="jp-mlops-columns">
        <section className="jp-mlops-Params">
          <h3>Parameters</h3>
          <KeyValueTable rows={Object.entries(r.params).sort().map(([k, v]) => [k, formatValue(v)])} empty="no parameters" />
        </section>
        <section className="jp-mlops-Metrics">
          <h3>Metrics</h3>
          <KeyValueTable rows={Object.entries(r.metrics).sort().map(([k, v]) => [k, formatNumber(v)])} empty="no metrics" />
        </section>
      </div>
      <section>
        <h3>Metric curves</h3>
        {metrics.error && <div className="jp-mlops-error">{metrics.error}</div>}
        <div className="jp-mlops-Charts">
          {(metrics.data?.metrics ?? [])
            .filter(m => m.points.length > 1)
            .map(m => (
              <MetricChart key={m.key} title={m.key} series={[{ label: r.name, points: m.points }]} />
            ))}
        </div>
      </section>
      {shownFigures.length > 0 && (
        <section>
          <h3>Figures</h3>
          <div className="jp-mlops-Figures">
            {shownFigures.map(a => (
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
      <section>
        <h3>Provenance</h3>
        <ProvenanceView run={r} />
      </section>
    </div>
  );
}

function stem(name: string): string {
  return name.replace(/\.[^.]+$/, '');
}
