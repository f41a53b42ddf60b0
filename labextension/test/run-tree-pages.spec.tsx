/**
 * Expanding a large sweep shows its first children from a small first request and appends the
 * rest from a second one (a 1,000-point sweep's rows appear without waiting for all 1,000); a
 * sweep collapsed before the rest arrived stays collapsed. The client is a fake.
 */
import { act, renderHook } from '@testing-library/react';

import { IRunsWindow } from '../src/hooks';
import { childrenFilter, FIRST_CHILDREN, useRunTree } from '../src/run-tree';
import { IRunsQuery } from '../src/types';
import { fakeServices, run } from './fakes';

const sweep = run(1, { name: 'sweep' });
const points = Array.from({ length: 250 }, (_, i) => run(1000 + i, { name: `p[${i}]`, parent_run_id: sweep.run_id }));

const win: IRunsWindow = {
  total: 1,
  rowAt: i => (i === 0 ? sweep : undefined),
  error: null,
  version: 0,
  stale: false,
  childCount: id => (id === sweep.run_id ? points.length : 0)
};

function setup() {
  let release: () => void = () => {};
  const held = new Promise<void>(resolve => (release = resolve));
  const listRuns = jest.fn(async (q: IRunsQuery) => {
    expect(q.filter).toBe(childrenFilter(sweep.run_id));
    const offset = q.offset ?? 0;
    if (offset > 0) {
      await held; // the rest arrives when the test says so
    }
    const runs = points.slice(offset, offset + (q.limit ?? 1000));
    return { runs, total: points.length, offset, limit: q.limit ?? 1000, child_counts: {} };
  });
  const { wrapper } = fakeServices({ listRuns });
  const hook = renderHook(() => useRunTree(win), { wrapper });
  return { hook, listRuns, release: () => release() };
}

it('shows the first children at once and appends the rest', async () => {
  const { hook, listRuns, release } = setup();
  await act(async () => hook.result.current.toggle(sweep, 0));
  expect(hook.result.current.total).toBe(1 + FIRST_CHILDREN);
  expect(hook.result.current.rowAt(1)?.name).toBe('p[0]');
  await act(async () => release());
  expect(hook.result.current.total).toBe(1 + points.length);
  expect(hook.result.current.rowAt(points.length)?.name).toBe('p[249]');
  expect(listRuns.mock.calls.map(c => [c[0].offset ?? 0, c[0].limit])).toEqual([
    [0, FIRST_CHILDREN],
    [FIRST_CHILDREN, 1000 - FIRST_CHILDREN]
  ]);
});

it('a sweep collapsed before the rest arrived stays collapsed', async () => {
  const { hook, release } = setup();
  await act(async () => hook.result.current.toggle(sweep, 0));
  act(() => hook.result.current.toggle(sweep, 0));
  await act(async () => release());
  expect(hook.result.current.total).toBe(1);
});
