/**
 * Actions that close the loop, as a user sees them (fake client): a finished job's line links the
 * new run and a compare with the original, a running one shows its progress; the Sweep form
 * counts the grid's points, names bad values and submits the grid; saved views are saved, applied
 * and deleted. JupyterLab's input dialog needs the application shell, so it answers at once.
 */
import { act, fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';
import { InputDialog } from '@jupyterlab/apputils';

import { IJobState } from '../src/action-hooks';
import { JobLine } from '../src/components/job-line';
import { parseSavedViews, SavedViews, withView } from '../src/components/saved-views';
import { gridPoints, sweepGrid, SweepForm } from '../src/components/sweep-form';
import { IParametersReply } from '../src/types';
import { IViewStateStore } from '../src/view-state';
import { fakeServices, job } from './fakes';

jest.mock('@jupyterlab/apputils', () => ({
  showErrorMessage: jest.fn(() => Promise.resolve()),
  InputDialog: { getText: jest.fn() }
}));

const NEW = 'b'.repeat(32);
const ORIGINAL = 'c'.repeat(32);

function jobState(overrides: Parameters<typeof job>[0]): IJobState {
  return { job: job(overrides), error: null, cancelling: false, start: jest.fn(), cancel: jest.fn() };
}

describe('job line', () => {
  it('links the new run and a compare with the original when a re-run finished', () => {
    const { wrapper, services } = fakeServices({});
    const finished = { action: 'rerun', status: 'finished' as const, result: 'run bbbbbbbb finished' };
    render(<JobLine jobs={jobState({ ...finished, links: { run_id: NEW, original_run_id: ORIGINAL } })} />, {
      wrapper
    });
    fireEvent.click(screen.getByRole('button', { name: 'open run bbbbbbbb' }));
    expect(services.openRun).toHaveBeenCalledWith(NEW, '');
    fireEvent.click(screen.getByRole('button', { name: 'compare with the original' }));
    expect(services.openCompare).toHaveBeenCalledWith([ORIGINAL, NEW]);
  });

  it('shows a conversion cell by cell, then links the folder it wrote', () => {
    const openFolder = jest.fn();
    const { wrapper } = fakeServices({}, { openFolder });
    const progress = { text: 'capturing: cell 2 of 5', done: 2, total: 5 };
    const { rerender } = render(<JobLine jobs={jobState({ action: 'convert', progress })} />, { wrapper });
    expect(screen.getByText('capturing: cell 2 of 5')).toBeTruthy();
    const bar = screen.getByLabelText('convert progress') as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([2, 5]);
    expect(screen.queryByRole('button', { name: /open/ })).toBeNull(); // nothing to open yet
    const links = { output_path: 'nb/train_pipeline' };
    rerender(<JobLine jobs={jobState({ action: 'convert', status: 'finished', links, progress })} />);
    expect(screen.queryByText('capturing: cell 2 of 5')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'open nb/train_pipeline' }));
    expect(openFolder).toHaveBeenCalledWith('nb/train_pipeline');
  });
});

const SCHEMA: IParametersReply = {
  source: 'notebook',
  notebook_path: 'train.ipynb',
  parameters: [
    { name: 'lr', type: 'float', default: 0.1, help: '' },
    { name: 'depth', type: 'int', default: 3, help: '' },
    { name: 'model', type: 'str', default: 'sgd', help: '' }
  ]
};

describe('sweep form', () => {
  it('builds the grid in the order the parameters are listed', () => {
    expect(gridPoints(['a', 'b'], [[1, 2], ['x']])).toEqual([
      { a: 1, b: 'x' },
      { a: 2, b: 'x' }
    ]);
    expect(sweepGrid(SCHEMA.parameters, { lr: '0.1, 1e-3', depth: '2,4', model: 'sgd' })).toEqual({
      points: [
        { lr: 0.1, depth: 2, model: 'sgd' },
        { lr: 0.1, depth: 4, model: 'sgd' },
        { lr: 0.001, depth: 2, model: 'sgd' },
        { lr: 0.001, depth: 4, model: 'sgd' }
      ]
    });
  });

  it('counts the points as they are typed, names bad values, and submits the typed grid', () => {
    const onSubmit = jest.fn();
    const { wrapper } = fakeServices({});
    render(<SweepForm schema={SCHEMA} recorded={{ lr: 0.5 }} onSubmit={onSubmit} onCancel={jest.fn()} />, {
      wrapper
    });
    expect(screen.getByText('1 point')).toBeTruthy(); // prefilled with the run's values
    const input = (name: string) => document.querySelector(`input[name="${name}"]`) as HTMLInputElement;
    fireEvent.change(input('lr'), { target: { value: '0.1, 0.01' } });
    fireEvent.change(input('depth'), { target: { value: '2, 4' } });
    expect(screen.getByText('4 points')).toBeTruthy();
    fireEvent.change(input('depth'), { target: { value: '2, 4.5,' } });
    expect(screen.getByText('depth: "4.5" is not an integer (depth is an int)')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Start sweep' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(input('depth'), { target: { value: '2, 4,' } });
    expect(screen.getByText('depth: value 3 of the list is empty')).toBeTruthy();
    fireEvent.change(input('depth'), { target: { value: '2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start sweep' }));
    expect(onSubmit).toHaveBeenCalledWith('train.ipynb', [
      { lr: 0.1, depth: 2, model: 'sgd' },
      { lr: 0.01, depth: 2, model: 'sgd' }
    ]);
  });
});

function memoryState(): IViewStateStore & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return {
    data,
    fetch: (id: string) => Promise.resolve(data.get(id)),
    save: (id: string, value: unknown) => Promise.resolve(void data.set(id, value))
  };
}

describe('saved views', () => {
  const parse = (v: unknown) => String(v);

  it('keeps well-formed entries and replaces a view saved again under its name', () => {
    expect(parseSavedViews([{ name: 'a', view: 1 }, { view: 2 }, 'x'], parse)).toEqual([{ name: 'a', view: '1' }]);
    const views = withView(withView([], 'b', 'one'), 'a', 'two');
    expect(withView(views, 'b', 'three')).toEqual([
      { name: 'a', view: 'two' },
      { name: 'b', view: 'three' }
    ]);
  });

  it('saves the current view under a name, applies it, deletes it; the list is in the state DB', async () => {
    jest.useFakeTimers();
    const viewState = memoryState();
    const { wrapper } = fakeServices({}, { viewState });
    const onApply = jest.fn();
    (InputDialog.getText as jest.Mock).mockResolvedValue({ button: { accept: true }, value: ' lr sweep ' });
    const { rerender } = render(<SavedViews current="filter-1" parse={parse} onApply={onApply} />, { wrapper });
    await act(async () => {
      await jest.advanceTimersByTimeAsync(0); // the saved list (none) arrives from the state DB
    });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Save view' }));
      await jest.advanceTimersByTimeAsync(1000);
    });
    await act(async () => {
      await jest.advanceTimersByTimeAsync(1000); // the list is written once edits settle
    });
    expect(viewState.data.get('mlops-jupyter:saved-views')).toEqual([{ name: 'lr sweep', view: 'filter-1' }]);
    rerender(<SavedViews current="filter-2" parse={parse} onApply={onApply} />);
    fireEvent.change(screen.getByLabelText('Saved views'), { target: { value: 'lr sweep' } });
    expect(onApply).toHaveBeenCalledWith('filter-1');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Delete view' }));
    });
    await act(async () => {
      await jest.advanceTimersByTimeAsync(1000);
    });
    expect(viewState.data.get('mlops-jupyter:saved-views')).toEqual([]);
    jest.useRealTimers();
  });
});
