/**
 * A Re-run or Reproduce job's line while it runs: the server's `running cell k of n` with the
 * bar the sweep line uses (k - 1 cells done), gone once the job finished and links its run.
 */
import { render, screen } from '@testing-library/react';
import * as React from 'react';

import { IJobState } from '../src/action-hooks';
import { JobLine } from '../src/components/job-line';
import { fakeServices, job } from './fakes';

jest.mock('@jupyterlab/apputils', () => ({ showErrorMessage: jest.fn(() => Promise.resolve()) }));

function jobState(overrides: Parameters<typeof job>[0]): IJobState {
  return { job: job(overrides), error: null, cancelling: false, start: jest.fn(), cancel: jest.fn() };
}

describe('re-run and reproduce progress', () => {
  it.each(['rerun', 'reproduce'])('%s shows the running cell with a bar, then its links', action => {
    const { wrapper } = fakeServices({});
    const progress = { text: 'running cell 2 of 3', done: 1, total: 3 };
    const { rerender } = render(<JobLine jobs={jobState({ action, progress })} />, { wrapper });
    expect(screen.getByText('running cell 2 of 3')).toBeTruthy();
    const bar = screen.getByLabelText(`${action} progress`) as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([1, 3]);
    const links = { run_id: 'b'.repeat(32), original_run_id: 'c'.repeat(32) };
    rerender(<JobLine jobs={jobState({ action, status: 'finished', links, progress })} />);
    expect(screen.queryByText('running cell 2 of 3')).toBeNull();
    expect(screen.getByRole('button', { name: 'open run bbbbbbbb' })).toBeTruthy();
  });
});
