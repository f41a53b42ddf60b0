/**
 * Parent and child runs in the list: a sweep is one row with a count that expands to its points
 * (and a point to its tracked cell), and deleting a parent asks about its children. The client is
 * a fake; JupyterLab's dialogs are mocked (they need a running JupyterLab).
 */
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import * as React from 'react';

const askDeleteChildren = jest.fn(() => Promise.resolve('all'));
jest.mock('@jupyterlab/apputils', () => ({ showErrorMessage: jest.fn() }));
jest.mock('../src/dialogs', () => ({
  askTag: jest.fn(),
  confirmDelete: jest.fn(() => Promise.resolve(true)),
  askDeleteChildren: () => askDeleteChildren()
}));

import { RunsView } from '../src/components/runs-view';
import { childrenFilter } from '../src/run-tree';
import { IRunsQuery } from '../src/types';
import { fakeServices, run } from './fakes';

(globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver = class {
  observe(): void {}
  disconnect(): void {}
};

const sweep = run(100, { name: 'sweep-train' });
const other = run(101, { name: 'other' });
const points = [0, 1, 2, 3].map(i => run(200 + i, { name: `train[${i}]`, parent_run_id: sweep.run_id }));
const tracked = run(300, { name: 'sgd-classifier', parent_run_id: points[0].run_id });

function listRuns(q: IRunsQuery) {
  if (q.filter === childrenFilter(sweep.run_id)) {
    return Promise.resolve({ runs: points, total: 4, offset: 0, limit: 1000, child_counts: { [points[0].run_id]: 1 } });
  }
  if (q.filter === childrenFilter(points[0].run_id)) {
    return Promise.resolve({ runs: [tracked], total: 1, offset: 0, limit: 1000, child_counts: {} });
  }
  expect(q.filter).toBe('parent_run_id is None');
  return Promise.resolve({
    runs: [other, sweep],
    total: 2,
    offset: 0,
    limit: 200,
    child_counts: { [sweep.run_id]: 4 }
  });
}

const names = (container: HTMLElement) =>
  Array.from(container.querySelectorAll('.jp-mlops-RunRow[data-run-id] .jp-mlops-RunName')).map(n => n.textContent);

describe('the run tree', () => {
  it('shows a sweep as one row with a count that expands to its points and their children', async () => {
    const { wrapper } = fakeServices({
      listRuns: jest.fn(listRuns),
      getKeys: jest.fn(() => Promise.reject(new Error('x')))
    });
    const { container } = render(<RunsView />, { wrapper });
    await waitFor(() => expect(names(container)).toEqual(['other', 'sweep-train']));
    fireEvent.click(screen.getByLabelText('expand 4 child runs'));
    await waitFor(() =>
      expect(names(container)).toEqual(['other', 'sweep-train', 'train[0]', 'train[1]', 'train[2]', 'train[3]'])
    );
    fireEvent.click(screen.getByLabelText('expand 1 child runs'));
    await waitFor(() => expect(names(container)).toContain('sgd-classifier'));
    expect(names(container)[3]).toBe('sgd-classifier');
    fireEvent.click(screen.getByLabelText('collapse 4 child runs'));
    await waitFor(() => expect(names(container)).toEqual(['other', 'sweep-train']));
  });

  it('asks about children when deleting a parent, and deletes them with it', async () => {
    const deleteRun = jest.fn(() => Promise.resolve());
    const { wrapper } = fakeServices({
      listRuns: jest.fn(listRuns),
      getKeys: jest.fn(() => Promise.reject(new Error('x'))),
      deleteRun
    });
    const { container } = render(<RunsView />, { wrapper });
    await waitFor(() => expect(names(container)).toEqual(['other', 'sweep-train']));
    const row = container.querySelector(`.jp-mlops-RunRow[data-run-id="${sweep.run_id}"]`)!;
    fireEvent.keyDown(row, { key: 'Delete' });
    await waitFor(() => expect(deleteRun).toHaveBeenCalledWith(sweep.run_id, true));
    expect(askDeleteChildren).toHaveBeenCalled();
  });
});

describe('a sweep run page', () => {
  it('lists its points and compares the points through their tracked children', async () => {
    const { RunFamily } = await import('../src/components/run-family');
    const openCompare = jest.fn();
    const { wrapper } = fakeServices({ listRuns: jest.fn(listRuns) }, { openCompare });
    const detail = { ...sweep, provenance: {}, notebook_path: null };
    const { container } = render(<RunFamily run={detail} />, { wrapper });
    await waitFor(() => expect(container.querySelectorAll('.jp-mlops-PointsTable tbody tr')).toHaveLength(4));
    expect(screen.getByText('Child runs (4)')).toBeTruthy();
    fireEvent.click(screen.getByText('Compare all points'));
    await waitFor(() => expect(openCompare).toHaveBeenCalled());
    expect(openCompare.mock.calls[0][0]).toEqual([tracked.run_id, ...points.slice(1).map(p => p.run_id)]);
  });
});
