/** The data hooks, driven through the real ServicesContext with a fake client and fake timers. */
import { act, renderHook, waitFor } from '@testing-library/react';

import { ApiError } from '../src/errors';
import { PAGE_SIZE, useAsyncEffect, useRunsWindow } from '../src/hooks';
import { POLL_INTERVAL } from '../src/tokens';
import { IRunsQuery } from '../src/types';
import { fakeServices, run, runDetail } from './fakes';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** Let pending promise callbacks run, then move the clock. */
async function advance(ms: number): Promise<void> {
  await act(async () => {
    await jest.advanceTimersByTimeAsync(ms);
  });
}

describe('useAsyncEffect', () => {
  it('loads, then reloads when its deps change', async () => {
    const getRun = jest.fn((runId: string) => Promise.resolve(runDetail(1, { name: `name of ${runId}` })));
    const { wrapper, services } = fakeServices({ getRun });
    const { result, rerender } = renderHook(
      ({ runId }) => useAsyncEffect(() => services.client.getRun(runId), [runId]),
      { wrapper, initialProps: { runId: 'r1' } }
    );
    expect(result.current.loading).toBe(true);
    await waitFor(() => expect(result.current.data?.name).toBe('name of r1'));
    rerender({ runId: 'r2' });
    await waitFor(() => expect(result.current.data?.name).toBe('name of r2'));
    expect(getRun).toHaveBeenCalledTimes(2);
  });

  it("surfaces the server's message", async () => {
    const getRun = jest.fn(() => Promise.reject(new ApiError(404, 'no run 1234')));
    const { wrapper, services } = fakeServices({ getRun });
    const { result } = renderHook(() => useAsyncEffect(() => services.client.getRun('x'), []), { wrapper });
    await waitFor(() => expect(result.current.error).toBe('no run 1234'));
    expect(result.current.loading).toBe(false);
    expect(result.current.data).toBeNull();
  });

  it('polls while the run is running, then stops', async () => {
    const replies = [runDetail(1, { status: 'running' }), runDetail(1, { status: 'finished' })];
    const getRun = jest.fn().mockResolvedValueOnce(replies[0]).mockResolvedValue(replies[1]);
    const { wrapper, services } = fakeServices({ getRun });
    const { result } = renderHook(
      () =>
        useAsyncEffect(
          () => services.client.getRun('x'),
          [],
          data => data?.status === 'running',
          1000
        ),
      { wrapper }
    );
    await waitFor(() => expect(result.current.data?.status).toBe('running'));
    await advance(1000);
    expect(result.current.data?.status).toBe('finished');
    for (let i = 0; i < 5; i++) {
      await advance(1000);
    }
    expect(getRun).toHaveBeenCalledTimes(2);
  });

  it('stops polling when unmounted', async () => {
    const getRun = jest.fn(() => Promise.resolve(runDetail(1, { status: 'running' })));
    const { wrapper, services } = fakeServices({ getRun });
    const { unmount } = renderHook(
      () =>
        useAsyncEffect(
          () => services.client.getRun('x'),
          [],
          () => true,
          1000
        ),
      { wrapper }
    );
    await advance(1000);
    await advance(1000);
    const calls = getRun.mock.calls.length;
    expect(calls).toBe(3);
    unmount();
    for (let i = 0; i < 10; i++) {
      await advance(1000);
    }
    expect(getRun).toHaveBeenCalledTimes(calls);
  });
});

describe('useRunsWindow', () => {
  function pagedClient(total: number) {
    return jest.fn((query: IRunsQuery) => {
      const offset = query.offset ?? 0;
      const count = Math.max(0, Math.min(query.limit ?? PAGE_SIZE, total - offset));
      return Promise.resolve({
        runs: Array.from({ length: count }, (_, i) => run(offset + i)),
        total,
        offset,
        limit: query.limit ?? PAGE_SIZE
      });
    });
  }

  it('fetches the visible page and shows its rows and the total', async () => {
    const listRuns = pagedClient(450);
    const { wrapper } = fakeServices({ listRuns });
    const { result } = renderHook(() => useRunsWindow('', '', 0, 60), { wrapper });
    await waitFor(() => expect(result.current.total).toBe(450));
    expect(result.current.rowAt(59)?.name).toBe('run-59');
    expect(result.current.rowAt(PAGE_SIZE)).toBeUndefined();
    expect(listRuns).toHaveBeenCalledWith({ filter: '', order_by: '', offset: 0, limit: PAGE_SIZE });
  });

  it('fetches the next page when scrolled into it', async () => {
    const listRuns = pagedClient(450);
    const { wrapper } = fakeServices({ listRuns });
    const { result, rerender } = renderHook(({ start, end }) => useRunsWindow('', '', start, end), {
      wrapper,
      initialProps: { start: 0, end: 60 }
    });
    await waitFor(() => expect(result.current.total).toBe(450));
    rerender({ start: 390, end: 450 });
    await waitFor(() => expect(result.current.rowAt(449)?.name).toBe('run-449'));
    expect(result.current.rowAt(390)?.name).toBe('run-390');
  });

  it('shows a bad filter and does not re-send it while polling', async () => {
    const listRuns = jest.fn(() => Promise.reject(new ApiError(400, "unknown field 'metric.acc'")));
    const { wrapper } = fakeServices({ listRuns });
    const { result } = renderHook(() => useRunsWindow('metric.acc > 1', '', 0, 60), { wrapper });
    await waitFor(() => expect(result.current.error).toBe("unknown field 'metric.acc'"));
    await advance(POLL_INTERVAL * 3);
    expect(listRuns).toHaveBeenCalledTimes(1);
  });

  it('polls only while the panel is showing, and not after unmount', async () => {
    const listRuns = pagedClient(10);
    const shown = fakeServices({ listRuns });
    const { unmount } = renderHook(() => useRunsWindow('', '', 0, 60), { wrapper: shown.wrapper });
    await advance(POLL_INTERVAL * 2);
    expect(listRuns).toHaveBeenCalledTimes(3);
    unmount();
    await advance(POLL_INTERVAL * 4);
    expect(listRuns).toHaveBeenCalledTimes(3);

    const hiddenList = pagedClient(10);
    const hidden = fakeServices({ listRuns: hiddenList }, { visible: false });
    renderHook(() => useRunsWindow('', '', 0, 60), { wrapper: hidden.wrapper });
    await advance(POLL_INTERVAL * 3);
    expect(hiddenList).toHaveBeenCalledTimes(1);
  });

  it('drops rows of the old query when the filter changes', async () => {
    const listRuns = jest.fn((query: IRunsQuery) =>
      Promise.resolve({
        runs: [run(query.filter ? 7 : 1)],
        total: 1,
        offset: 0,
        limit: PAGE_SIZE
      })
    );
    const { wrapper } = fakeServices({ listRuns });
    const { result, rerender } = renderHook(({ filter }) => useRunsWindow(filter, '', 0, 60), {
      wrapper,
      initialProps: { filter: '' }
    });
    await waitFor(() => expect(result.current.rowAt(0)?.name).toBe('run-1'));
    rerender({ filter: 'params.lr > 0.05' });
    await waitFor(() => expect(result.current.rowAt(0)?.name).toBe('run-7'));
  });
});
