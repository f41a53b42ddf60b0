/**
 * Background jobs and deletes, through the hooks with a fake client: a job lost with a server
 * restart (404 while polling) ends as failed, Cancel ends it as cancelled, failures are shown.
 */
import { act, renderHook, waitFor } from '@testing-library/react';

import { useJob, useRunDeletion } from '../src/action-hooks';
import { ApiError } from '../src/errors';
import { describeJob } from '../src/format';
import { JOB_POLL_INTERVAL } from '../src/tokens';
import { fakeServices, job, unknownJob } from './fakes';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

async function advance(ms: number): Promise<void> {
  await act(async () => {
    await jest.advanceTimersByTimeAsync(ms);
  });
}

function startJob(client: Parameters<typeof fakeServices>[0], first = job()) {
  const onEnd = jest.fn();
  const { wrapper } = fakeServices(client);
  const hook = renderHook(() => useJob(onEnd), { wrapper });
  act(() => hook.result.current.start(first));
  return { ...hook, onEnd };
}

describe('useJob', () => {
  it('polls a running job until it finishes, then calls onEnd once', async () => {
    const getJob = jest
      .fn()
      .mockResolvedValueOnce(job())
      .mockResolvedValueOnce(job({ status: 'finished', result: 'reproduced' }));
    const { result, onEnd } = startJob({ getJob });
    expect(describeJob(result.current.job!)).toBe('reproduce: running');
    await advance(JOB_POLL_INTERVAL);
    expect(result.current.job?.status).toBe('running');
    await advance(JOB_POLL_INTERVAL);
    expect(describeJob(result.current.job!)).toBe('reproduce: finished — reproduced');
    expect(onEnd).toHaveBeenCalledTimes(1);
    await advance(JOB_POLL_INTERVAL * 5);
    expect(getJob).toHaveBeenCalledTimes(2);
  });

  it('keeps polling a queued job (the server answers 202 "queued") until it ends', async () => {
    const getJob = jest
      .fn()
      .mockResolvedValueOnce(job({ status: 'queued' }))
      .mockResolvedValueOnce(job())
      .mockResolvedValueOnce(job({ status: 'finished', result: 'run 1234abcd finished' }));
    const { result, onEnd } = startJob({ getJob }, job({ status: 'queued' }));
    expect(describeJob(result.current.job!)).toBe('reproduce: queued');
    await advance(JOB_POLL_INTERVAL * 3);
    expect(describeJob(result.current.job!)).toBe('reproduce: finished — run 1234abcd finished');
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it('shows "failed: the server restarted" when the server no longer knows the job', async () => {
    const getJob = jest.fn().mockResolvedValueOnce(job()).mockRejectedValue(unknownJob());
    const { result, onEnd } = startJob({ getJob });
    await advance(JOB_POLL_INTERVAL * 2);
    expect(result.current.job?.status).toBe('failed');
    expect(describeJob(result.current.job!)).toBe('reproduce: failed: the server restarted');
    expect(onEnd).toHaveBeenCalledTimes(1);
    await advance(JOB_POLL_INTERVAL * 5);
    expect(getJob).toHaveBeenCalledTimes(2); // no "running" forever, no polling forever
  });

  it('keeps polling through a server that is down for a moment, and says so', async () => {
    const getJob = jest
      .fn()
      .mockRejectedValueOnce(new ApiError(0, 'cannot reach the Jupyter server: TypeError: Failed to fetch'))
      .mockResolvedValueOnce(job({ status: 'finished' }));
    const { result } = startJob({ getJob });
    await advance(JOB_POLL_INTERVAL);
    expect(result.current.job?.status).toBe('running');
    expect(result.current.error).toMatch(/cannot reach the Jupyter server/);
    await advance(JOB_POLL_INTERVAL);
    expect(result.current.job?.status).toBe('finished');
    expect(result.current.error).toBeNull();
  });

  it('stops polling when unmounted', async () => {
    const getJob = jest.fn().mockResolvedValue(job());
    const { unmount } = startJob({ getJob });
    await advance(JOB_POLL_INTERVAL * 2);
    expect(getJob).toHaveBeenCalledTimes(2);
    unmount();
    await advance(JOB_POLL_INTERVAL * 5);
    expect(getJob).toHaveBeenCalledTimes(2);
  });

  it('cancels: DELETE the job, show "cancelled", stop polling', async () => {
    const getJob = jest.fn().mockResolvedValue(job());
    const cancelJob = jest.fn().mockResolvedValue(job({ status: 'cancelled', ended: 1700000005 }));
    const { result, onEnd } = startJob({ getJob, cancelJob });
    await advance(JOB_POLL_INTERVAL);
    await act(() => result.current.cancel());
    expect(cancelJob).toHaveBeenCalledWith('a'.repeat(32));
    expect(describeJob(result.current.job!)).toBe('reproduce: cancelled');
    expect(result.current.cancelling).toBe(false);
    expect(onEnd).toHaveBeenCalledTimes(1);
    const polls = getJob.mock.calls.length;
    await advance(JOB_POLL_INTERVAL * 5);
    expect(getJob).toHaveBeenCalledTimes(polls);
  });

  it('a poll reply that arrives after the cancel does not bring "running" back', async () => {
    let answerPoll: (value: unknown) => void = () => undefined;
    const getJob = jest.fn(() => new Promise(resolve => (answerPoll = resolve)));
    const cancelJob = jest.fn().mockResolvedValue(job({ status: 'cancelled' }));
    const { result } = startJob({ getJob, cancelJob });
    await advance(JOB_POLL_INTERVAL); // a poll is now in flight
    await act(() => result.current.cancel());
    await act(async () => answerPoll(job()));
    expect(result.current.job?.status).toBe('cancelled');
  });

  it('cancelling a job that just ended (409) shows how it ended', async () => {
    const getJob = jest.fn().mockResolvedValue(job({ status: 'finished', result: 'run 1234 made' }));
    const cancelJob = jest.fn().mockRejectedValue(new ApiError(409, 'job already finished'));
    const { result } = startJob({ getJob, cancelJob });
    await act(() => result.current.cancel());
    expect(describeJob(result.current.job!)).toBe('reproduce: finished — run 1234 made');
    expect(result.current.error).toBeNull();
  });

  it('cancelling a job the server lost (404) shows the restart', async () => {
    const getJob = jest.fn().mockResolvedValue(job());
    const cancelJob = jest.fn().mockRejectedValue(unknownJob());
    const { result } = startJob({ getJob, cancelJob });
    await act(() => result.current.cancel());
    expect(describeJob(result.current.job!)).toBe('reproduce: failed: the server restarted');
  });

  it('a cancel that fails otherwise is shown and the job keeps running', async () => {
    const getJob = jest.fn().mockResolvedValue(job());
    const cancelJob = jest.fn().mockRejectedValue(new ApiError(500, 'kernel did not stop'));
    const { result } = startJob({ getJob, cancelJob });
    await act(() => result.current.cancel());
    expect(result.current.error).toBe('cancel failed: kernel did not stop');
    expect(result.current.job?.status).toBe('running');
    await advance(JOB_POLL_INTERVAL);
    expect(getJob).toHaveBeenCalled();
  });
});

describe('useRunDeletion', () => {
  it("keeps the server's message when a delete fails", async () => {
    const deleteRun = jest.fn().mockRejectedValue(new ApiError(500, 'database is locked'));
    const { wrapper, changes } = fakeServices({ deleteRun });
    const { result } = renderHook(() => useRunDeletion(), { wrapper });
    let deleted: string[] = ['not called'];
    await act(async () => {
      deleted = await result.current.remove(['f'.repeat(32)]);
    });
    expect(deleted).toEqual([]);
    expect(result.current.error).toBe('Delete failed: database is locked');
    expect(changes).not.toHaveBeenCalled();
  });

  it('tries every run, reports the ones that failed, and refreshes for the rest', async () => {
    const ids = ['1'.repeat(32), '2'.repeat(32), '3'.repeat(32)];
    const deleteRun = jest.fn((runId: string) =>
      runId === ids[1] ? Promise.reject(new ApiError(404, 'no run')) : Promise.resolve(undefined)
    );
    const { wrapper, changes } = fakeServices({ deleteRun });
    const { result } = renderHook(() => useRunDeletion(), { wrapper });
    let deleted: string[] = [];
    await act(async () => {
      deleted = await result.current.remove(ids);
    });
    expect(deleted).toEqual([ids[0], ids[2]]);
    expect(result.current.error).toBe('Deleted 2 of 3 runs; 1 failed: 22222222: no run');
    expect(changes).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(result.current.busy).toBe(false));
  });
});
