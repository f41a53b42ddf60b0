/** The actions on one run: re-run with parameters, reproduce, open notebook, tag, delete. */
import * as React from 'react';
import { showErrorMessage } from '@jupyterlab/apputils';

import { useJob, useRunDeletion } from '../action-hooks';
import { askTag, confirmDelete } from '../dialogs';
import { useAsyncEffect, useServices } from '../hooks';
import { IJob, IRunDetail, ParamValue } from '../types';
import { JobLine } from './job-line';
import { RerunForm } from './rerun-form';
import { SweepLoader } from './sweep-form';
import { reproduceBlocker } from './reproduce-reason';

export interface IRunActionsProps {
  run: IRunDetail;
  onChanged: () => void;
  onDeleted: () => void;
}

function RerunLoader(props: {
  run: IRunDetail;
  onSubmit: (parameters: { [key: string]: ParamValue }) => void;
  onCancel: () => void;
}): JSX.Element {
  const { client } = useServices();
  const runId = props.run.run_id;
  const schema = useAsyncEffect(() => client.getParameters(runId), [client, runId]);
  if (schema.error) {
    return <div className="jp-mlops-error">{schema.error}</div>;
  }
  return schema.data ? (
    <RerunForm schema={schema.data} recorded={props.run.params} onSubmit={props.onSubmit} onCancel={props.onCancel} />
  ) : (
    <div className="jp-mlops-muted">loading parameters…</div>
  );
}

export function RunActions(props: IRunActionsProps): JSX.Element {
  const services = useServices();
  const { client } = services;
  const actions = services.capabilities?.actions;
  const r = props.run;
  const [rerunning, setRerunning] = React.useState(false);
  const [sweeping, setSweeping] = React.useState(false);
  const jobs = useJob(() => services.notifyChanged());
  const deletion = useRunDeletion();

  const start = (label: string, call: () => Promise<IJob>) => async () => {
    try {
      jobs.start(await call());
      setRerunning(false);
      setSweeping(false);
    } catch (err) {
      void showErrorMessage(`${label} failed`, (err as Error).message);
    }
  };
  const remove = async () => {
    if (await confirmDelete('Delete this run?', `"${r.name}" (${r.run_id.slice(0, 8)})`)) {
      if ((await deletion.remove([r.run_id])).length > 0) {
        props.onDeleted();
      }
    }
  };
  const tag = async () => {
    const tags = await askTag('Add tag (key=value)');
    if (tags) {
      try {
        await client.setTags(r.run_id, tags);
        props.onChanged();
      } catch (err) {
        void showErrorMessage('Tagging failed', (err as Error).message);
      }
    }
  };

  return (
    <>
      <div className="jp-mlops-Toolbar">
        {actions?.rerun && (
          <button className="jp-mlops-button" onClick={() => setRerunning(x => !x)}>
            Re-run with parameters…
          </button>
        )}
        {actions?.sweep && (
          <button
            className="jp-mlops-button jp-mlops-SweepButton"
            onClick={() => setSweeping(x => !x)}
            title="Run the notebook over a grid of parameter values"
          >
            Sweep…
          </button>
        )}
        {actions?.reproduce && (
          <button
            className="jp-mlops-button"
            onClick={start('Reproduce', () => client.reproduceRun(r.run_id))}
            disabled={reproduceBlocker(r) !== null}
            title={reproduceBlocker(r) ?? 'Re-execute in a fresh kernel and compare metrics'}
          >
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
        <button className="jp-mlops-button" onClick={remove} disabled={deletion.busy}>
          Delete
        </button>
      </div>
      {deletion.error && <div className="jp-mlops-error jp-mlops-ActionError">{deletion.error}</div>}
      {rerunning && (
        <RerunLoader
          run={r}
          onSubmit={parameters => void start('Re-run', () => client.rerunRun(r.run_id, parameters))()}
          onCancel={() => setRerunning(false)}
        />
      )}
      {sweeping && (
        <SweepLoader
          run={r}
          onSubmit={(path, points) => void start('Sweep', () => client.sweepNotebook(path, points, r.run_id))()}
          onCancel={() => setSweeping(false)}
        />
      )}
      <JobLine jobs={jobs} />
    </>
  );
}
