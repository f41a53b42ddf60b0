/**
 * The runs list at sidebar width: what tells runs apart, the column layout edits, the filter box's
 * completions and quick filters, state kept across a reload, and the last good results on an error.
 * JupyterLab's dialogs are mocked (they need a running JupyterLab); the client is a fake.
 */
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import * as React from 'react';

jest.mock('@jupyterlab/apputils', () => ({ showErrorMessage: jest.fn() }));
jest.mock('../src/dialogs', () => ({ askTag: jest.fn(), confirmDelete: jest.fn(() => Promise.resolve(false)) }));

import { applyOrder, DEFAULT_LAYOUT, moveColumn, parseLayout, resizeColumn, toggleHidden } from '../src/column-layout';
import { RunsView } from '../src/components/runs-view';
import { applySuggestion, composeFilter, suggest } from '../src/filter-suggest';
import { collectKeys, shortKey, summaryParts, summaryText } from '../src/run-summary';
import { ApiError } from '../src/errors';
import { IKeysReply, IRun, IRunsQuery } from '../src/types';
import { IViewStateStore } from '../src/view-state';
import { fakeServices, run } from './fakes';

// jsdom has no layout, so no ResizeObserver: the table then keeps its default viewport height
(globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver = class {
  observe(): void {}
  disconnect(): void {}
};

const KEYS: IKeysReply = {
  params: ['alpha', 'learning_rate'],
  metrics: ['test_accuracy', 'test_loss', 'val/loss'],
  tags: ['stage'],
  experiments: ['iris', 'bulk'],
  fields: ['name', 'status', 'experiment', 'start_time', 'parent_run_id']
};

/** Three runs with the same name that differ only in learning_rate. */
function sameName(): IRun[] {
  return [0.1, 0.01, 0.3].map((lr, i) =>
    run(i + 1, {
      name: 'sgd-classifier',
      params: { learning_rate: lr, alpha: 0.0001 },
      metrics: { test_accuracy: 0.9 + i / 100, test_loss: 0.2 }
    })
  );
}

function memoryState(initial: { [k: string]: unknown } = {}): IViewStateStore & { data: Map<string, unknown> } {
  const data = new Map(Object.entries(initial));
  return {
    data,
    fetch: (id: string) => Promise.resolve(data.get(id)),
    save: (id: string, value: unknown) => Promise.resolve(void data.set(id, value))
  };
}

describe('what tells runs apart', () => {
  it('shows the varying params and the headline metric after the name', () => {
    const runs = sameName();
    const keys = collectKeys(runs);
    expect(keys.varying).toEqual(['learning_rate']); // alpha never varies
    expect(keys.used[0]).toBe('test_accuracy');
    const texts = runs.map(r => summaryText(summaryParts(r, keys.varying, keys.used[0])));
    expect(texts).toEqual(['lr=0.1 · acc 0.9', 'lr=0.01 · acc 0.91', 'lr=0.3 · acc 0.92']);
    expect(new Set(texts).size).toBe(3);
  });

  it('ranks metrics by finished runs, so a running run does not swap the columns', () => {
    const runs = [
      run(1, { metrics: { test_accuracy: 0.9 } }),
      run(2, { metrics: { test_accuracy: 0.8 } }),
      ...[3, 4, 5].map(i => run(i, { status: 'running', metrics: { train_loss: 1 } }))
    ];
    expect(collectKeys(runs).used[0]).toBe('test_accuracy');
  });

  it('shortens keys', () => {
    expect(shortKey('learning_rate', 'param')).toBe('lr');
    expect(shortKey('test_accuracy', 'metric')).toBe('acc');
    expect(shortKey('alpha', 'param')).toBe('alpha');
    expect(shortKey('val_loss', 'metric')).toBe('loss');
  });
});

describe('column layout', () => {
  const cols = [{ id: 'status', pinned: true }, { id: 'name', pinned: true }, { id: 'a' }, { id: 'b' }, { id: 'c' }];
  it('moves, resizes, hides, and keeps pinned columns first', () => {
    const shown = ['a', 'b', 'c'];
    const moved = moveColumn(DEFAULT_LAYOUT, shown, 'c', 'a');
    expect(applyOrder(cols, moved.order).map(c => c.id)).toEqual(['status', 'name', 'c', 'a', 'b']);
    expect(applyOrder(cols, moveColumn(DEFAULT_LAYOUT, shown, 'a', 'c').order).map(c => c.id)).toEqual([
      'status',
      'name',
      'b',
      'c',
      'a'
    ]);
    expect(resizeColumn(DEFAULT_LAYOUT, 'a', 5).widths.a).toBe(36);
    expect(toggleHidden(toggleHidden(DEFAULT_LAYOUT, 'a'), 'a').hidden).toEqual([]);
  });
  it('reads a damaged saved layout as the default', () => {
    expect(parseLayout('nonsense')).toEqual(DEFAULT_LAYOUT);
    expect(parseLayout({ widths: { a: 'x', b: 100 }, hidden: [1] })).toEqual({ ...DEFAULT_LAYOUT, widths: { b: 100 } });
  });
});

describe('filter completions', () => {
  it('completes keys of a family, bare words, and quotes odd keys', () => {
    expect(suggest('metrics.test_a', 14, KEYS).items).toEqual(['metrics.test_accuracy']);
    expect(suggest('learn', 5, KEYS).items).toContain('params.learning_rate');
    expect(suggest('metrics.val', 11, KEYS).items).toEqual(['metrics["val/loss"]']);
    expect(suggest("name == 'metrics.te", 19, KEYS).items).toEqual([]); // inside a string
    const s = suggest('params.al > 1', 9, KEYS);
    expect(applySuggestion('params.al > 1', s, s.items[0])).toEqual({ text: 'params.alpha > 1', caret: 12 });
  });
  it('folds quick filters into the query', () => {
    expect(composeFilter('', { status: '', sinceHours: 0, experiment: '' })).toBe('');
    expect(composeFilter('metrics.a > 1', { status: 'failed', sinceHours: 1, experiment: 'iris' }, 7200)).toBe(
      '(metrics.a > 1) and status == \'failed\' and start_time >= 3600 and experiment == "iris"'
    );
  });
});

function page(runs: IRun[]) {
  return { runs, total: runs.length, offset: 0, limit: 200 };
}

describe('RunsView', () => {
  it('tells same-named runs apart and pins status and name', async () => {
    const listRuns = jest.fn(() => Promise.resolve(page(sameName())));
    const { wrapper } = fakeServices({ listRuns, getKeys: jest.fn(() => Promise.resolve(KEYS)) });
    const { container } = render(<RunsView />, { wrapper });
    await waitFor(() => expect(container.querySelectorAll('.jp-mlops-RunRow[data-run-id]')).toHaveLength(3));
    const names = Array.from(container.querySelectorAll('.jp-mlops-RunRow [data-column="name"]')).map(
      n => n.textContent
    );
    expect(names[0]).toBe('sgd-classifier · lr=0.1 · acc 0.9');
    expect(new Set(names).size).toBe(3);
    const header = container.querySelector('.jp-mlops-RunsHeader [data-column="name"]')!;
    expect(header.classList.contains('jp-mlops-pinned')).toBe(true);
    expect(
      container.querySelector('.jp-mlops-RunsHeader [data-column="params.learning_rate"]')?.getAttribute('title')
    ).toMatch(/parameter learning_rate: click to sort/);
  });

  it('keeps the last good rows and shows the suggestion when a filter fails', async () => {
    const listRuns = jest.fn((q: IRunsQuery) =>
      q.filter?.includes('acuracy')
        ? Promise.reject(new ApiError(400, "bad filter: unknown metric 'test_acuracy'; did you mean 'test_accuracy'?"))
        : Promise.resolve(page(sameName()))
    );
    const { wrapper } = fakeServices({ listRuns, getKeys: jest.fn(() => Promise.resolve(KEYS)) });
    const { container } = render(<RunsView />, { wrapper });
    await waitFor(() => expect(container.querySelectorAll('.jp-mlops-RunRow[data-run-id]')).toHaveLength(3));
    const box = screen.getByLabelText('filter runs');
    fireEvent.change(box, { target: { value: 'metrics.test_acuracy > 0.9' } });
    fireEvent.keyDown(box, { key: 'Escape' });
    fireEvent.keyDown(box, { key: 'Enter' });
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/did you mean 'test_accuracy'/));
    expect(screen.getByRole('alert').textContent).toMatch(/last results/);
    expect(container.querySelectorAll('.jp-mlops-RunRow[data-run-id]')).toHaveLength(3);
    expect(container.querySelector('.jp-mlops-count')?.textContent).toBe('3 runs');
    fireEvent.click(screen.getByLabelText('clear the filter'));
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });

  it('restores the saved columns, sort and filter, and saves changes', async () => {
    jest.useFakeTimers();
    const viewState = memoryState({
      'mlops-jupyter:runs-view': {
        layout: { extra: ['params.alpha'], hidden: ['experiment'], order: [], widths: { 'params.alpha': 120 } },
        sort: { column: 'params.alpha', descending: false },
        filter: "name == 'sgd-classifier'",
        quick: { status: 'finished', sinceHours: 0, experiment: '' }
      }
    });
    const listRuns = jest.fn(() => Promise.resolve(page(sameName())));
    const { wrapper } = fakeServices({ listRuns, getKeys: jest.fn(() => Promise.resolve(KEYS)) }, { viewState });
    const { container } = render(<RunsView />, { wrapper });
    await act(async () => {
      await jest.advanceTimersByTimeAsync(10);
    });
    // the first query already carries the saved filter and sort (no default query first)
    expect(listRuns).toHaveBeenCalledTimes(1);
    expect(listRuns.mock.calls[0]).toEqual([
      expect.objectContaining({
        filter: "(name == 'sgd-classifier') and status == 'finished'",
        order_by: 'params.alpha ASC'
      })
    ]);
    const head = container.querySelector('.jp-mlops-RunsHeader')!;
    expect(head.querySelector('[data-column="experiment"]')).toBeNull();
    expect((head.querySelector('[data-column="params.alpha"]') as HTMLElement).style.width).toBe('120px');
    expect(head.querySelector('[data-column="params.alpha"] .jp-mlops-SortIndicator')?.textContent).toBe('\u25B2');
    expect((screen.getByLabelText('filter runs') as HTMLInputElement).value).toBe("name == 'sgd-classifier'");
    // a change is written back
    fireEvent.click(head.querySelector('[data-column="name"]')!);
    await act(async () => {
      await jest.advanceTimersByTimeAsync(400);
    });
    expect((viewState.data.get('mlops-jupyter:runs-view') as { sort: unknown }).sort).toEqual({
      column: 'name',
      descending: true
    });
    jest.useRealTimers();
  });

  it('selects a range with shift-click and with Shift+arrow keys, and all from the header', async () => {
    const runs = [1, 2, 3, 4, 5].map(i => run(i));
    const { wrapper } = fakeServices({
      listRuns: jest.fn(() => Promise.resolve(page(runs))),
      getKeys: jest.fn(() => Promise.resolve(KEYS))
    });
    const { container } = render(<RunsView />, { wrapper });
    await waitFor(() => expect(container.querySelectorAll('.jp-mlops-RunRow[data-run-id]')).toHaveLength(5));
    const rows = () => Array.from(container.querySelectorAll<HTMLElement>('.jp-mlops-RunRow[data-run-id]'));
    fireEvent.click(within(rows()[0]).getByLabelText('select run'));
    fireEvent.click(rows()[2], { shiftKey: true });
    expect(container.querySelector('.jp-mlops-count')?.textContent).toBe('5 runs · 3 selected');
    fireEvent.keyDown(rows()[2], { key: 'ArrowDown', shiftKey: true });
    expect(container.querySelector('.jp-mlops-count')?.textContent).toBe('5 runs · 4 selected');
    expect(document.activeElement).toBe(rows()[3]);
    fireEvent.click(screen.getByLabelText('select all listed runs'));
    expect(container.querySelector('.jp-mlops-count')?.textContent).toBe('5 runs · 5 selected');
  });
});
