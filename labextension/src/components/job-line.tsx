/**
 * A background job's line: its state, its progress while it runs (cell k of n, points done of
 * total) and, once it ended, links to what it made (the new run, a compare with the original,
 * the folder written).
 */
import * as React from 'react';

import { IJobState, useJob } from '../action-hooks';
import { describeJob, isActiveJob } from '../format';
import { useServices } from '../hooks';
import { IJob } from '../types';

function Progress(props: { job: IJob }): JSX.Element | null {
  const p = props.job.progress;
  if (!p || !isActiveJob(props.job)) {
    return null;
  }
  const countable = p.total !== null && p.done !== null && p.total > 0;
  return (
    <div className="jp-mlops-Job-progress">
      {countable && (
        <progress value={p.done as number} max={p.total as number} aria-label={`${props.job.action} progress`} />
      )}
      <span className="jp-mlops-Job-progress-text">{p.text}</span>
    </div>
  );
}

function Links(props: { job: IJob }): JSX.Element | null {
  const services = useServices();
  const { job } = props;
  const links = job.links ?? {};
  if (job.status !== 'finished' || Object.keys(links).length === 0) {
    return null;
  }
  const runId = links.run_id;
  const original = links.original_run_id;
  const folder = links.output_path;
  return (
    <div className="jp-mlops-Job-links">
      {runId && (
        <button className="jp-mlops-link jp-mlops-Job-openRun" onClick={() => services.openRun(runId, '')}>
          open run {runId.slice(0, 8)}
        </button>
      )}
      {runId && original && original !== runId && (
        <button className="jp-mlops-link jp-mlops-Job-compare" onClick={() => services.openCompare([original, runId])}>
          compare with the original
        </button>
      )}
      {folder && (
        <button
          className="jp-mlops-link jp-mlops-Job-folder"
          onClick={() => (services.openFolder ?? services.openPath)(folder)}
          title="Show the folder in the file browser"
        >
          open {folder}
        </button>
      )}
    </div>
  );
}

/** The line of the job `jobs` follows (nothing before one started). */
export function JobLine(props: { jobs: IJobState; onDismiss?: () => void }): JSX.Element | null {
  const { job, cancelling, error } = props.jobs;
  if (!job) {
    return null;
  }
  const active = isActiveJob(job);
  return (
    <div className={`jp-mlops-Job jp-mlops-job-${job.status}`} data-job-id={job.job_id}>
      <span className="jp-mlops-Job-text">{describeJob(job)}</span>
      {active && job.status !== 'cancelling' && (
        <button
          className="jp-mlops-button jp-mlops-CancelJob"
          onClick={() => void props.jobs.cancel()}
          disabled={cancelling}
          title="Stop this background job"
        >
          {cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      )}
      {!active && props.onDismiss && (
        <button className="jp-mlops-button jp-mlops-DismissJob" onClick={props.onDismiss} title="Hide this job line">
          Dismiss
        </button>
      )}
      <Progress job={job} />
      <Links job={job} />
      {error && <div className="jp-mlops-error">{error}</div>}
    </div>
  );
}

function BoardJob(props: { job: IJob; onDismiss: () => void }): JSX.Element | null {
  const services = useServices();
  const jobs = useJob(() => services.notifyChanged());
  const { start } = jobs;
  const { job } = props;
  React.useEffect(() => start(job), [start, job]);
  return <JobLine jobs={jobs} onDismiss={props.onDismiss} />;
}

/** The sidebar's job lines for jobs started elsewhere (conversions from the notebook toolbar). */
export function BoardJobs(): JSX.Element | null {
  const { jobBoard } = useServices();
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    if (!jobBoard) {
      return;
    }
    const onChange = () => setTick(t => t + 1);
    jobBoard.changed.connect(onChange);
    return () => {
      jobBoard.changed.disconnect(onChange);
    };
  }, [jobBoard]);
  if (!jobBoard || jobBoard.jobs.length === 0) {
    return null;
  }
  return (
    <div className="jp-mlops-BoardJobs">
      {jobBoard.jobs.map(job => (
        <BoardJob key={job.job_id} job={job} onDismiss={() => jobBoard.dismiss(job.job_id)} />
      ))}
    </div>
  );
}
