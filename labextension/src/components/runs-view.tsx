/** The sidebar's content: filter box, actions on the selection, and the windowed runs table. */
import * as React from 'react';
import { showErrorMessage } from '@jupyterlab/apputils';

import { useRunDeletion } from '../action-hooks';
import { askTag, confirmDelete } from '../dialogs';
import { IRunsWindow, PAGE_SIZE, useRunsWindow, useServices } from '../hooks';
import { IRun } from '../types';
import { ColumnPicker } from './column-picker';
import { baseColumns, IColumn, ISort, metricColumn, paramColumn, RunsTable } from './runs-table';

/** The list's columns: fixed ones, then the chosen params/metrics (default: the most varying params). */
function useColumns(
  win: IRunsWindow,
  extra: string[] | null
): { columns: IColumn[]; chosen: string[]; seen: ISeenKeys } {
  // Param / metric keys seen in the loaded rows; default columns: the params that vary most and
  // the metrics most runs have.
  const { rowAt, total } = win;
  const seen: ISeenKeys = React.useMemo(() => {
    const params = new Map<string, Set<string>>();
    const metrics = new Map<string, number>();
    const n = Math.min(total ?? 0, PAGE_SIZE);
    for (let i = 0; i < n; i++) {
      const run = rowAt(i);
      for (const [k, v] of Object.entries(run?.params ?? {})) {
        (params.get(k) ?? params.set(k, new Set()).get(k)!).add(JSON.stringify(v));
      }
      Object.keys(run?.metrics ?? {}).forEach(k => metrics.set(k, (metrics.get(k) ?? 0) + 1));
    }
    const byVariety = [...params.keys()].sort(
      (a, b) => params.get(b)!.size - params.get(a)!.size || a.localeCompare(b)
    );
    const byUse = [...metrics.keys()].sort((a, b) => metrics.get(b)! - metrics.get(a)! || a.localeCompare(b));
    return { params: [...params.keys()].sort(), metrics: [...metrics.keys()].sort(), varying: byVariety, used: byUse };
  }, [rowAt, total]);
  const chosen = React.useMemo(
    () =>
      extra ?? [...seen.varying.slice(0, 2).map(k => `params.${k}`), ...seen.used.slice(0, 2).map(k => `metrics.${k}`)],
    [extra, seen]
  );
  const columns: IColumn[] = React.useMemo(
    () => [
      ...baseColumns(),
      ...chosen.map(id => (id.startsWith('params.') ? paramColumn(id.slice(7)) : metricColumn(id.slice(8))))
    ],
    [chosen]
  );

  return { columns, chosen, seen };
}

interface ISeenKeys {
  params: string[];
  metrics: string[];
  /** Param keys, most distinct values first. */
  varying: string[];
  /** Metric keys, logged by most runs first. */
  used: string[];
}

export function RunsView(): JSX.Element {
  const services = useServices();
  const [draft, setDraft] = React.useState('');
  const [filter, setFilter] = React.useState('');
  const [sort, setSort] = React.useState<ISort>({ column: 'start_time', descending: true });
  const [range, setRange] = React.useState({ start: 0, end: 60 });
  const [selected, setSelected] = React.useState<Map<string, IRun>>(new Map());
  const [picking, setPicking] = React.useState(false);
  // The store's default order is newest first; sending none lets it use its start_time index.
  const isDefault = sort.column === 'start_time' && sort.descending;
  const orderBy = isDefault ? '' : `${sort.column} ${sort.descending ? 'DESC' : 'ASC'}`;
  const win = useRunsWindow(filter, orderBy, range.start, range.end);
  const onRangeChange = React.useCallback(
    (start: number, end: number) =>
      setRange(prev => (prev.start === start && prev.end === end ? prev : { start, end })),
    []
  );

  const [extra, setExtra] = React.useState<string[] | null>(null);
  const { columns, chosen, seen } = useColumns(win, extra);

  const toggle = (run: IRun) =>
    setSelected(prev => {
      const next = new Map(prev);
      if (next.has(run.run_id)) {
        next.delete(run.run_id);
      } else {
        next.set(run.run_id, run);
      }
      return next;
    });
  const onSort = (column: string) =>
    setSort(prev => ({ column, descending: prev.column === column ? !prev.descending : true }));

  const ids = [...selected.keys()];
  const deletion = useRunDeletion();
  const onDelete = async () => {
    if (!(await confirmDelete(`Delete ${ids.length} run${ids.length > 1 ? 's' : ''}?`, `${ids.length} selected`))) {
      return;
    }
    // the runs that could not be deleted stay selected, next to the message saying why
    const deleted = new Set(await deletion.remove(ids));
    setSelected(prev => new Map([...prev].filter(([id]) => !deleted.has(id))));
  };
  const onTag = async () => {
    const tags = await askTag('Tag selected runs (key=value)');
    if (!tags) {
      return;
    }
    try {
      for (const id of ids) {
        await services.client.setTags(id, tags);
      }
    } catch (err) {
      void showErrorMessage('Tagging failed', (err as Error).message);
    }
    services.notifyChanged();
  };

  return (
    <div className="jp-mlops-RunsView">
      <div className="jp-mlops-Toolbar">
        <input
          className="jp-mlops-FilterBox jp-mod-styled"
          placeholder="filter, e.g. metrics.acc > 0.9 and params.model == 'rf'"
          value={draft}
          onChange={e => setDraft(e.target.value)}
          onKeyDown={e => e.key === 'Enter' && setFilter(draft.trim())}
          title="Press Enter to apply. Fields: metrics.*, params.*, tags.*, name, status, experiment, start_time, duration"
        />
      </div>
      <div className="jp-mlops-Toolbar">
        <span className="jp-mlops-count">
          {win.total === null ? 'loading…' : `${win.total} run${win.total === 1 ? '' : 's'}`}
          {ids.length > 0 ? ` · ${ids.length} selected` : ''}
        </span>
        <span className="jp-mlops-spacer" />
        <button
          className="jp-mlops-button"
          disabled={ids.length < 2}
          onClick={() => services.openCompare(ids)}
          title="Compare the selected runs"
        >
          Compare
        </button>
        <button className="jp-mlops-button" disabled={ids.length === 0} onClick={onTag} title="Tag the selected runs">
          Tag
        </button>
        <button
          className="jp-mlops-button"
          disabled={ids.length === 0}
          onClick={onDelete}
          title="Delete the selected runs"
        >
          Delete
        </button>
        <button
          className="jp-mlops-button"
          onClick={() => setPicking(p => !p)}
          title="Choose parameter and metric columns"
        >
          Columns
        </button>
      </div>
      {picking && (
        <ColumnPicker
          paramKeys={seen.params}
          metricKeys={seen.metrics}
          chosen={new Set(chosen)}
          onToggle={id => setExtra(chosen.includes(id) ? chosen.filter(c => c !== id) : [...chosen, id])}
          onClose={() => setPicking(false)}
        />
      )}
      {deletion.error && <div className="jp-mlops-error jp-mlops-ActionError">{deletion.error}</div>}
      {win.error && <div className="jp-mlops-error jp-mlops-FilterError">{win.error}</div>}
      <RunsTable
        columns={columns}
        total={win.total ?? 0}
        rowAt={win.rowAt}
        version={win.version}
        selected={new Set(ids)}
        sort={sort}
        onSort={onSort}
        onToggle={toggle}
        onOpen={run => services.openRun(run.run_id, run.name)}
        onRangeChange={onRangeChange}
      />
    </div>
  );
}
