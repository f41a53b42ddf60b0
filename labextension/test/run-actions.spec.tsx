/**
 * The run view's actions as a user sees them (rendered with a fake client): a failed delete is
 * shown, a reproduce job can be cancelled, a job lost with a server restart says so. JupyterLab's
 * dialogs need the whole application shell, so they are replaced by ones that answer at once.
 */
import { act, fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import { RunActions } from '../src/components/run-actions';
import { ApiError } from '../src/errors';
import { JOB_POLL_INTERVAL } from '../src/tokens';
import { fakeServices, FakeClient, job, runDetail, unknownJob } from './fakes';

jest.mock('@jupyterlab/apputils', () => ({
  showDialog: jest.fn(() => Promise.resolve({ button: { accept: true } })),
  showErrorMessage: jest.fn(() => Promise.resolve()),
  InputDialog: { getText: jest.fn() },
  Dialog: { cancelButton: jest.fn(() => ({})), warnButton: jest.fn(() => ({})) }
}));

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

async function advance(ms: number): Promise<void> {
  await act(async () => {
    await jest.advanceTimersByTimeAsync(ms);
  });
}

function renderActions(client: FakeClient) {
  const onDeleted = jest.fn();
  const { wrapper } = fakeServices(client);
  // a run made by `run`: it carries its notebook, so it can be reproduced
  const notebook = { name: 'source.ipynb', media_type: 'application/json', sha256: '0'.repeat(64), size: 1 };
  const run = runDetail(1, { artifacts: [notebook] });
  render(<RunActions run={run} onChanged={jest.fn()} onDeleted={onDeleted} />, { wrapper });
  return { onDeleted };
}

it('shows why a delete failed, and keeps the run open', async () => {
  const deleteRun = jest.fn().mockRejectedValue(new ApiError(500, 'database is locked'));
  const { onDeleted } = renderActions({ deleteRun });
  fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
  expect(await screen.findByText('Delete failed: database is locked')).toBeTruthy();
  expect(onDeleted).not.toHaveBeenCalled();
});

it('closes the run view after a delete that worked', async () => {
  const deleteRun = jest.fn().mockResolvedValue(undefined);
  const { onDeleted } = renderActions({ deleteRun });
  fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
  await advance(0);
  expect(deleteRun).toHaveBeenCalledWith(runDetail(1).run_id);
  expect(onDeleted).toHaveBeenCalledTimes(1);
  expect(screen.queryByText(/Delete failed/)).toBeNull();
});

it('Cancel stops a running reproduce job and shows "cancelled"', async () => {
  const reproduceRun = jest.fn().mockResolvedValue(job());
  const getJob = jest.fn().mockResolvedValue(job());
  const cancelJob = jest.fn().mockResolvedValue(job({ status: 'cancelled' }));
  renderActions({ reproduceRun, getJob, cancelJob });
  fireEvent.click(screen.getByRole('button', { name: 'Reproduce' }));
  expect(await screen.findByText('reproduce: running')).toBeTruthy();
  await advance(JOB_POLL_INTERVAL);
  fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
  expect(await screen.findByText('reproduce: cancelled')).toBeTruthy();
  expect(cancelJob).toHaveBeenCalledWith(job().job_id);
  expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
});

it('a job the restarted server lost shows "failed: the server restarted", not "running"', async () => {
  const reproduceRun = jest.fn().mockResolvedValue(job());
  const getJob = jest.fn().mockRejectedValue(unknownJob());
  renderActions({ reproduceRun, getJob });
  fireEvent.click(screen.getByRole('button', { name: 'Reproduce' }));
  expect(await screen.findByText('reproduce: running')).toBeTruthy();
  await advance(JOB_POLL_INTERVAL);
  expect(screen.getByText('reproduce: failed: the server restarted')).toBeTruthy();
  expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
});
