/** The actions on one run: re-run with parameters, reproduce, open notebook, tag, delete. */
import * as React from 'react';
import { showErrorMessage } from '@jupyterlab/apputils';

import { askTag, confirmDelete } from '../dialogs';
import { useAsync, useJob, useServices } from '../hooks';
import { IJob, IRunDetail, ParamValue } from '../types';
import { RerunForm } from './rerun-form';

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

export function RunActions(props: IRunActionsProps): JSX.Element {
  const services = useServices();
  const { client } = services;
  const actions = services.capabilities?.actions;
  const r = props.run;
  const [rerunning, setRerunning] = React.useState(false);
  const [job, setJob] = useJob(() => services.notifyChanged());

  const start = (label: string, call: () => Promise<IJob>) => async () => {
    try {
      setJob(await call());
      setRerunning(false);
    } catch (err) {
      void showErrorMessage(`${label} failed`, (err as Error).message);
    }
  };
  const remove = async () => {
    if (await confirmDelete('Delete this run?', `"${r.name}" (${r.run_id.slice(0, 8)})`)) {
      await client.deleteRun(r.run_id);
      services.notifyChanged();
      props.onDeleted();
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
        {actions?.reproduce && (
          <button className="jp-mlops-button" onClick={start('Reproduce', () => client.reproduceRun(r.run_id))}>
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
      {rerunning && (
        <RerunLoader
          run={r}
          onSubmit={parameters => void start('Re-run', () => client.rerunRun(r.run_id, parameters))()}
          onCancel={() => setRerunning(false)}
        />
      )}
      {job && (
        <div className={`jp-mlops-Job jp-mlops-job-${job.status}`}>
          {job.action}: {job.status}
          {job.result ? ` — ${job.result}` : ''}
          {job.message ? ` — ${job.message}` : ''}
        </div>
      )}
    </>
  );
}
