/**
 * The run page's parts as a user sees them (rendered with a fake client): the note saved and
 * shown as text, tags renamed and removed in one request, system tags apart, output bounded
 * with "show all", the cell a run came from found, the duration ticking while it runs.
 */
import { act, fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import { RunEnvironment, environmentRows } from '../src/components/run-environment';
import { RunNotes } from '../src/components/run-notes';
import { boundText, outputArtifacts, RunStdout } from '../src/components/run-stdout';
import { RunTagsEditor, splitTags, tagKeyProblem } from '../src/components/run-tags-editor';
import { formatElapsed, runDuration } from '../src/live-duration';
import { cellTargetOf, findCellIndex } from '../src/open-cell';
import { fakeServices, runDetail } from './fakes';

const XSS = '<img src=x onerror=alert(1)>';

async function settle(): Promise<void> {
  await act(async () => {
    await Promise.resolve();
  });
}

it('shows the note as text and saves an edit through setNote', async () => {
  const setNote = jest.fn().mockResolvedValue(runDetail(1));
  const onChanged = jest.fn();
  const { wrapper } = fakeServices({ setNote });
  const run = runDetail(1, { tags: { 'mlops.note': `**bold** ${XSS}` } });
  const { container } = render(<RunNotes run={run} onChanged={onChanged} />, { wrapper });
  expect(container.querySelector('.jp-mlops-Note')?.textContent).toBe(`**bold** ${XSS}`);
  expect(container.querySelector('img')).toBeNull();
  fireEvent.click(screen.getByRole('button', { name: 'Edit note' }));
  fireEvent.change(screen.getByLabelText('note text'), { target: { value: 'lr too high' } });
  fireEvent.click(screen.getByRole('button', { name: 'Save' }));
  await settle();
  expect(setNote).toHaveBeenCalledWith(run.run_id, 'lr too high');
  expect(onChanged).toHaveBeenCalledTimes(1);
  fireEvent.click(screen.getByRole('button', { name: 'Edit note' }));
  fireEvent.change(screen.getByLabelText('note text'), { target: { value: 'by keyboard' } });
  fireEvent.keyDown(screen.getByLabelText('note text'), { key: 'Enter', ctrlKey: true });
  await settle();
  expect(setNote).toHaveBeenLastCalledWith(run.run_id, 'by keyboard');
});

it('renames a tag in one request, removes another, and keeps system tags apart', async () => {
  const editUserTags = jest.fn().mockResolvedValue(runDetail(1));
  const { wrapper } = fakeServices({ editUserTags });
  const run = runDetail(1, { tags: { stage: 'dev', owner: 'ana', 'mlops.kind': 'cell', 'mlops.note': 'n' } });
  const { container } = render(<RunTagsEditor run={run} onChanged={jest.fn()} />, { wrapper });
  const system = container.querySelector('details.jp-mlops-SystemTags') as HTMLDetailsElement;
  expect(system.open).toBe(false);
  expect(system.querySelector('summary')?.textContent).toBe('System (1)');
  fireEvent.click(screen.getByRole('button', { name: 'edit tag stage' }));
  fireEvent.change(screen.getByLabelText('tag key'), { target: { value: 'phase' } });
  fireEvent.click(screen.getByRole('button', { name: 'Save' }));
  await settle();
  expect(editUserTags).toHaveBeenCalledWith(run.run_id, { phase: 'dev' }, ['stage']);
  fireEvent.click(screen.getByRole('button', { name: 'remove tag owner' }));
  await settle();
  expect(editUserTags).toHaveBeenLastCalledWith(run.run_id, {}, ['owner']);
});

it('refuses a system key before asking the server', () => {
  const editUserTags = jest.fn();
  const { wrapper } = fakeServices({ editUserTags });
  render(<RunTagsEditor run={runDetail(1)} onChanged={jest.fn()} />, { wrapper });
  fireEvent.click(screen.getByRole('button', { name: 'Add tag' }));
  fireEvent.change(screen.getByLabelText('tag key'), { target: { value: 'mlops.kind' } });
  fireEvent.click(screen.getByRole('button', { name: 'Save' }));
  expect(screen.getByText(/system tags \(read-only\)/)).toBeTruthy();
  expect(editUserTags).not.toHaveBeenCalled();
  expect(tagKeyProblem(' ')).toBe('a tag needs a key');
  expect(splitTags({ b: '1', a: '2', 'mlops.x': '3' }).user).toEqual([
    ['a', '2'],
    ['b', '1']
  ]);
});

it('bounds the output and shows all of it on request', async () => {
  const text = Array.from({ length: 450 }, (_, i) => `line ${i}`).join('\n') + '\n';
  const getArtifactText = jest.fn().mockResolvedValue(text);
  const { wrapper } = fakeServices({ getArtifactText });
  const stdout = { name: 'stdout.txt', media_type: 'text/plain', sha256: 'a'.repeat(64), size: text.length };
  const { container } = render(<RunStdout runId={'1'.repeat(32)} artifacts={[stdout]} />, { wrapper });
  await settle();
  const pre = () => container.querySelector('.jp-mlops-OutputText')?.textContent ?? '';
  expect(pre().split('\n').length).toBe(201); // 200 lines and the last newline
  fireEvent.click(screen.getByRole('button', { name: 'Show all (450 lines)' }));
  expect(pre()).toBe(text);
  expect(boundText('x'.repeat(30_000)).text.length).toBe(20_000);
  expect(boundText('short\n')).toEqual({ text: 'short\n', cut: false });
  expect(outputArtifacts([{ ...stdout, name: 'stderr.txt' }, stdout]).map(a => a.name)).toEqual([
    'stdout.txt',
    'stderr.txt'
  ]);
});

it('finds the run cell by id, then execution count, then source', () => {
  const cells = [
    { id: 'a', executionCount: 1, source: 'import x' },
    { id: 'b', executionCount: 7, source: '%%track\nfit(lr)' },
    { id: 'c', executionCount: 3, source: 'plot()' }
  ];
  expect(findCellIndex(cells, { cellId: 'c', executionCount: 7, source: null })).toBe(2);
  expect(findCellIndex(cells, { cellId: 'gone', executionCount: 7, source: 'fit(lr)' })).toBe(1);
  expect(findCellIndex(cells, { cellId: null, executionCount: 3, source: 'fit(lr)' })).toBe(1);
  expect(findCellIndex(cells, { cellId: null, executionCount: 9, source: 'nothing' })).toBe(-1);
  const run = runDetail(1, { cell_id: null, provenance: { cell: { execution_count: 4, source: 'fit()' } } });
  expect(cellTargetOf(run)).toEqual({ cellId: null, executionCount: 4, source: 'fit()' });
  expect(cellTargetOf(runDetail(2))).toBeNull();
});

it('ticks a running run duration and shows the recorded one once it ended', () => {
  const running = { status: 'running' as const, start_time: 1000, duration: 2 };
  expect(runDuration(running, 1065.4)).toBe('1m 05s');
  expect(runDuration({ ...running, status: 'finished' }, null)).toBe('2.0 s');
  expect(formatElapsed(3723)).toBe('1h 02m 03s');
});

it('lists the recorded Python, host and seeds', () => {
  const provenance = {
    python: { implementation: 'CPython', version: '3.11.7', executable: '/usr/bin/python' },
    host: { hostname: 'vm', os: 'Linux', cpu_count: 2, gpus: [] },
    seeds: { numpy: 42 }
  };
  expect(environmentRows(provenance)).toEqual([
    ['python', 'CPython 3.11.7'],
    ['python executable', '/usr/bin/python'],
    ['host', 'vm'],
    ['os', 'Linux'],
    ['cpus', '2'],
    ['seed: numpy', '42']
  ]);
  render(<RunEnvironment provenance={{ ...provenance, seeds: {} }} />);
  expect(screen.getByText('no seeds were set')).toBeTruthy();
});
