/**
 * Hooks for actions on runs: background jobs (re-run, reproduce, sweep: poll, cancel, lost with a
 * server restart) and deleting runs, each keeping its failure for the view to show.
 */
import * as React from 'react';

import { ApiError, errorMessage } from './errors';
import { describeDeleteFailures, isActiveJob, SERVER_RESTARTED } from './format';
import { useServices } from './hooks';
import { JOB_POLL_INTERVAL } from './tokens';
import { IJob } from './types';

export interface IJobState {
  /** The background job last started here, as the server last reported it. */
  job: IJob | null;
  /** Why the last poll or cancel failed (polling goes on); null when all is well. */
  error: string | null;
  /** True while a cancel request is on its way. */
  cancelling: boolean;
  /** Show and poll a job the server just accepted. */
  start: (job: IJob) => void;
  /** Ask the server to stop the job (DELETE /jobs/{job_id}). */
  cancel: () => Promise<void>;
}

/** The record shown for a job the server no longer knows: it restarted and lost it. */
function lostJob(job: IJob): IJob {
  return { ...job, status: 'failed', message: SERVER_RESTARTED, ended: Date.now() / 1000 };
}

function isStatus(err: unknown, status: number): boolean {
  return err instanceof ApiError && err.status === status;
}

/**
 * A background action's job record, polled every JOB_POLL_INTERVAL ms until it ends (finished,
 * failed, cancelled, or lost with a server restart); `onEnd` runs then, once.
 */
export function useJob(onEnd: () => void): IJobState {
  const { client } = useServices();
  const [job, setJob] = React.useState<IJob | null>(null);
  const jobRef = React.useRef<IJob | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [cancelling, setCancelling] = React.useState(false);
  const onEndRef = React.useRef(onEnd);
  onEndRef.current = onEnd;

  /** Take the server's latest record; when it says the job ended (whichever way), end it here. */
  const update = React.useCallback((next: IJob) => {
    const prev = jobRef.current;
    if (prev?.job_id === next.job_id && !isActiveJob(prev)) {
      return; // ended already (a late poll reply after a cancel, say)
    }
    jobRef.current = next;
    setJob(next);
    if (!isActiveJob(next)) {
      onEndRef.current();
    }
  }, []);
  /** The server no longer knows the job: it restarted and lost it. */
  const lost = React.useCallback(() => {
    if (jobRef.current) {
      update(lostJob(jobRef.current));
    }
  }, [update]);

  const start = React.useCallback(
    (next: IJob) => {
      setError(null);
      update(next);
    },
    [update]
  );

  const jobId = job?.job_id ?? null;
  const running = job !== null && isActiveJob(job);
  React.useEffect(() => {
    if (jobId === null || !running) {
      return;
    }
    let live = true;
    let timer = 0;
    const poll = async () => {
      try {
        const next = await client.getJob(jobId);
        if (!live) {
          return;
        }
        setError(null);
        update(next);
      } catch (err) {
        if (!live) {
          return;
        }
        if (isStatus(err, 404)) {
          lost();
          return;
        }
        // unreachable (restarting?) or a server error: say so, and keep asking
        setError(`cannot get the job's state: ${errorMessage(err)}`);
      }
      if (live) {
        timer = window.setTimeout(poll, JOB_POLL_INTERVAL);
      }
    };
    timer = window.setTimeout(poll, JOB_POLL_INTERVAL);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [client, jobId, running, update, lost]);

  const cancel = React.useCallback(async () => {
    if (jobId === null) {
      return;
    }
    setCancelling(true);
    try {
      update(await client.cancelJob(jobId));
      setError(null);
    } catch (err) {
      if (isStatus(err, 404)) {
        lost();
      } else if (isStatus(err, 409)) {
        // it ended before the cancel arrived: show how it ended
        try {
          update(await client.getJob(jobId));
        } catch {
          setError(`cancel failed: ${errorMessage(err)}`);
        }
      } else {
        setError(`cancel failed: ${errorMessage(err)}`);
      }
    } finally {
      setCancelling(false);
    }
  }, [client, jobId, update, lost]);

  return { job, error, cancelling, start, cancel };
}

export interface IRunDeletion {
  /** Delete these runs (each is tried); resolves to the ids actually deleted. */
  remove: (runIds: string[], children?: boolean) => Promise<string[]>;
  /** What failed in the last remove, for the panel to show; null when it all worked. */
  error: string | null;
  busy: boolean;
}

/** Deleting runs from the store, with the failures kept for the view to show. */
export function useRunDeletion(): IRunDeletion {
  const { client, notifyChanged } = useServices();
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const remove = async (runIds: string[], children = false): Promise<string[]> => {
    setBusy(true);
    setError(null);
    const deleted: string[] = [];
    const failures: [string, string][] = [];
    for (const runId of runIds) {
      try {
        await (children ? client.deleteRun(runId, true) : client.deleteRun(runId));
        deleted.push(runId);
      } catch (err) {
        failures.push([runId, errorMessage(err)]);
      }
    }
    setBusy(false);
    if (failures.length > 0) {
      setError(describeDeleteFailures(runIds.length, failures));
    }
    if (deleted.length > 0) {
      notifyChanged();
    }
    return deleted;
  };
  return { remove, error, busy };
}
