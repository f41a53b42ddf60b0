/** The sidebar's content: filter box, actions on the selection, and the windowed runs table. */
import * as React from 'react';
import { showErrorMessage } from '@jupyterlab/apputils';

import { useRunDeletion } from '../action-hooks';
import { DEFAULT_LAYOUT, IColumnLayout, moveColumn, parseLayout, resizeColumn, toggleHidden } from '../column-layout';
import { askDeleteChildren, askTag, confirmDelete } from '../dialogs';
import { composeFilter, IQuickFilters, NO_QUICK_FILTERS, parseQuickFilters } from '../filter-suggest';
import { PAGE_SIZE, useAsyncEffect, useRunsWindow, useServices } from '../hooks';
import { useRunTree } from '../run-tree';
import { useShownColumns } from '../runs-columns';
import { IKeysReply, IRun } from '../types';
import { usePersistentState } from '../view-state';
import { ColumnPicker } from './column-picker';
import { FilterBox, QuickFilters } from './filter-box';
import { BoardJobs } from './job-line';
import { SavedViews } from './saved-views';
import { preloadCharts } from './vega-view';
import { ISort, RunsTable } from './runs-table';
import { TrashView } from './trash-view';

/** Everything about the list a user sets up once and expects back after a reload. */
export interface IRunsViewState {
  layout: IColumnLayout;
  sort: ISort;
  filter: string;
  quick: IQuickFilters;
  /** Parent runs with their children folded below them (when no filter is typed). */
  nested: boolean;
}

export const DEFAULT_VIEW: IRunsViewState = {
  layout: DEFAULT_LAYOUT,
  sort: { column: 'start_time', descending: true },
  filter: '',
  quick: NO_QUICK_FILTERS,
  nested: true
};

export function parseView(value: unknown): IRunsViewState {
  const v = (value && typeof value === 'object' ? value : {}) as { [k: string]: unknown };
  const sort = v.sort as ISort | undefined;
  return {
    layout: parseLayout(v.layout),
    sort:
      sort && typeof sort.column === 'string' && typeof sort.descending === 'boolean'
        ? { column: sort.column, descending: sort.descending }
        : DEFAULT_VIEW.sort,
    filter: typeof v.filter === 'string' ? v.filter : '',
    quick: parseQuickFilters(v.quick),
    nested: typeof v.nested === 'boolean' ? v.nested : true
  };
}

/** The selection: a map of run id -> run, with the index of the row toggled last (for shift-click). */
function useSelection(rowAt: (i: number) => IRun | undefined, total: number) {
  const [selected, setSelected] = React.useState<Map<string, IRun>>(new Map());
  const anchor = React.useRef<number | null>(null);
  const toggle = React.useCallback((run: IRun, index?: number) => {
    anchor.current = index ?? anchor.current;
    setSelected(prev => {
      const next = new Map(prev);
      if (next.has(run.run_id)) {
        next.delete(run.run_id);
      } else {
        next.set(run.run_id, run);
      }
      return next;
    });
  }, []);
  const selectRange = (index: number) => {
    const from = anchor.current ?? index;
    const next = new Map(selected);
    for (let i = Math.min(from, index); i <= Math.max(from, index); i++) {
      const run = rowAt(i);
      if (run) {
        next.set(run.run_id, run);
      }
    }
    anchor.current = index;
    setSelected(next);
  };
  const selectAll = (select: boolean) => {
    const next = new Map<string, IRun>();
    for (let i = 0; select && i < total; i++) {
      const run = rowAt(i);
      if (run) {
        next.set(run.run_id, run);
      }
    }
    setSelected(next);
  };
  return { selected, setSelected, toggle, selectRange, selectAll, anchor };
}

/** Arrow keys move between rows (Shift extends the selection); Delete deletes the selection. */
function rowKeyHandler(
  sel: ReturnType<typeof useSelection>,
  onDelete: (runs: IRun[]) => void,
  rowAt: (i: number) => IRun | undefined
) {
  return (event: React.KeyboardEvent, index: number, run: IRun) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp' || event.key === 'j' || event.key === 'k') {
      event.preventDefault();
      const next = index + (event.key === 'ArrowDown' || event.key === 'j' ? 1 : -1);
      const body = (event.currentTarget as HTMLElement).parentElement;
      const target = body?.querySelector<HTMLElement>(`[data-index="${next}"]`);
      if (!target) {
        return;
      }
      if (event.shiftKey) {
        if (sel.anchor.current === null) {
          sel.anchor.current = index;
        }
        const nextRun = rowAt(next);
        const from = sel.anchor.current;
        sel.setSelected(prev => {
          const out = new Map(prev);
          for (let i = Math.min(from, next); i <= Math.max(from, next); i++) {
            const r = rowAt(i);
            if (r) {
              out.set(r.run_id, r);
            }
          }
          return nextRun ? out : prev;
        });
      } else {
        sel.anchor.current = next;
      }
      target.focus();
      target.scrollIntoView?.({ block: 'nearest' });
    } else if (event.key === 'Delete' || event.key === 'Backspace') {
      event.preventDefault();
      onDelete(sel.selected.size > 0 ? [...sel.selected.values()] : [run]);
    }
  };
}

export function RunsView(): JSX.Element {
  const services = useServices();
  const [view, setView, loaded] = usePersistentState<IRunsViewState>('runs-view', DEFAULT_VIEW, parseView);
  const [draft, setDraft] = React.useState('');
  React.useEffect(() => setDraft(view.filter), [loaded]); // eslint-disable-line react-hooks/exhaustive-deps
  const [picking, setPicking] = React.useState(false);
  const { sort, layout } = view;
  // The store's default order is newest first; sending none lets it use its start_time index.
  const isDefault = sort.column === 'start_time' && sort.descending;
  const orderBy = isDefault ? '' : `${sort.column} ${sort.descending ? 'DESC' : 'ASC'}`;
  const [displayRange, setDisplayRange] = React.useState({ start: 0, end: 60 });
  // nested: the top level lists runs without a parent; a typed filter lists every match flat
  const nested = view.nested && !view.filter.trim();
  const query = [composeFilter(view.filter, view.quick), nested ? 'parent_run_id is None' : '']
    .filter(Boolean)
    .join(' and ');
  // expanded children shift the list down: the server rows needed start a little earlier
  const [added, setAdded] = React.useState(0);
  const win = useRunsWindow(query, orderBy, Math.max(0, displayRange.start - added), displayRange.end, loaded);
  const tree = useRunTree(win);
  const treeAdded = tree.total - (win.total ?? 0);
  React.useEffect(() => setAdded(treeAdded), [treeAdded]);
  const [showTrash, setShowTrash] = React.useState(false);
  const onRangeChange = React.useCallback(
    (start: number, end: number) =>
      setDisplayRange(prev => (prev.start === start && prev.end === end ? prev : { start, end })),
    []
  );
  const { rowAt, total } = tree;
  const firstRows = React.useMemo(
    () => Array.from({ length: Math.min(win.total ?? 0, PAGE_SIZE) }, (_, i) => win.rowAt(i)),
    [win]
  );
  const { columns, base, chosen, keys: rowKeys } = useShownColumns(firstRows, layout);
  const storeKeys = useAsyncEffect<IKeysReply | null>(
    () => services.client.getKeys(),
    [services.client, services.changeCount],
    () => services.visible,
    15000
  );
  const keys: IKeysReply = storeKeys.data ?? {
    ...rowKeys,
    tags: [],
    experiments: [],
    fields: ['name', 'status', 'experiment', 'start_time', 'end_time', 'duration', 'parent_run_id', 'notebook']
  };

  const setLayout = (edit: (l: IColumnLayout) => IColumnLayout) =>
    setView(prev => ({ ...prev, layout: edit(prev.layout) }));
  const sel = useSelection(rowAt, total ?? 0);
  const onSort = (column: string) =>
    setView(prev => ({
      ...prev,
      sort: { column, descending: prev.sort.column === column ? !prev.sort.descending : true }
    }));

  const ids = [...sel.selected.keys()];
  const deletion = useRunDeletion();
  const deleteRuns = async (runs: IRun[]) => {
    const n = runs.length;
    const children = runs.reduce((sum, r) => sum + win.childCount(r.run_id), 0);
    let withChildren = false;
    if (children > 0) {
      const answer = await askDeleteChildren(n, children);
      if (answer === null) {
        return;
      }
      withChildren = answer === 'all';
    } else if (!(await confirmDelete(`Delete ${n} run${n > 1 ? 's' : ''}?`, `${n} selected`))) {
      return;
    }
    // the runs that could not be deleted stay selected, next to the message saying why
    const deleted = new Set(
      await deletion.remove(
        runs.map(r => r.run_id),
        withChildren
      )
    );
    sel.setSelected(prev => new Map([...prev].filter(([id]) => !deleted.has(id))));
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

  const comparable = ids.length >= 2;
  React.useEffect(() => {
    if (comparable) {
      preloadCharts(); // Compare is a click away: its charts' code loads now
    }
  }, [comparable]);

  return (
    <div className="jp-mlops-RunsView">
      <div className="jp-mlops-Toolbar">
        <FilterBox
          draft={draft}
          onDraft={setDraft}
          onApply={text => setView(prev => ({ ...prev, filter: text }))}
          keys={keys}
        />
      </div>
      <BoardJobs />
      <div className="jp-mlops-Toolbar">
        <SavedViews
          current={view}
          parse={parseView}
          onApply={saved => {
            setView(saved);
            setDraft(saved.filter);
          }}
        />
      </div>
      <QuickFilters
        value={view.quick}
        onChange={quick => setView(prev => ({ ...prev, quick }))}
        experiments={keys.experiments}
      />
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
          onClick={() => void deleteRuns([...sel.selected.values()])}
          title="Delete the selected runs (Delete key)"
        >
          Delete
        </button>
        <button className="jp-mlops-button" onClick={() => setPicking(p => !p)} title="Choose, hide and reset columns">
          Columns
        </button>
        <button
          className="jp-mlops-button"
          aria-pressed={view.nested}
          onClick={() => setView(prev => ({ ...prev, nested: !prev.nested }))}
          title="Fold child runs (sweep points, tracked cells) under their parent"
        >
          {view.nested ? 'Nested' : 'Flat'}
        </button>
        <button
          className="jp-mlops-button"
          title="Download the listed runs (this filter and sort) as CSV"
          onClick={() =>
            services.client.runsCsv(query, orderBy).then(
              blob => {
                const a = document.createElement('a');
                a.href = URL.createObjectURL(blob);
                a.download = 'runs.csv';
                a.click();
                window.setTimeout(() => URL.revokeObjectURL(a.href), 10000);
              },
              err => void showErrorMessage('CSV download failed', (err as Error).message)
            )
          }
        >
          CSV
        </button>
        <button
          className="jp-mlops-button"
          aria-pressed={showTrash}
          onClick={() => setShowTrash(t => !t)}
          title="Deleted runs: restore them until `mlops-jupyter store gc`"
        >
          Trash
        </button>
      </div>
      {showTrash && <TrashView onClose={() => setShowTrash(false)} />}
      {picking && (
        <ColumnPicker
          paramKeys={rowKeys.params}
          metricKeys={rowKeys.metrics}
          chosen={new Set(chosen)}
          onToggle={id =>
            setLayout(l => ({ ...l, extra: chosen.includes(id) ? chosen.filter(c => c !== id) : [...chosen, id] }))
          }
          onClose={() => setPicking(false)}
          baseColumns={base.filter(c => !c.pinned).map(c => ({ id: c.id, label: c.label }))}
          hidden={new Set(layout.hidden)}
          onToggleBase={id => setLayout(l => toggleHidden(l, id))}
          onReset={() => setLayout(() => DEFAULT_LAYOUT)}
        />
      )}
      {deletion.error && <div className="jp-mlops-error jp-mlops-ActionError">{deletion.error}</div>}
      {tree.error && <div className="jp-mlops-error">{tree.error}</div>}
      {win.error && (
        <div className="jp-mlops-error jp-mlops-FilterError" role="alert" title={win.error}>
          {win.error.split(' Write comparisons such as')[0]}
          {win.stale && <div className="jp-mlops-muted">Showing the last results that matched.</div>}
        </div>
      )}
      <RunsTable
        columns={columns}
        total={tree.total}
        rowAt={tree.rowAt}
        version={win.version}
        selected={new Set(ids)}
        sort={sort}
        onSort={onSort}
        onToggle={sel.toggle}
        onOpen={run => services.openRun(run.run_id, run.name)}
        onRangeChange={onRangeChange}
        onResize={(id, width) => setLayout(l => resizeColumn(l, id, width))}
        onReorder={(from, to) =>
          setLayout(l =>
            moveColumn(
              l,
              columns.filter(c => !c.pinned).map(c => c.id),
              from,
              to
            )
          )
        }
        onSelectRange={sel.selectRange}
        onSelectAll={sel.selectAll}
        onRowKey={rowKeyHandler(sel, runs => void deleteRuns(runs), rowAt)}
        rowInfo={tree.infoAt}
        onExpand={tree.toggle}
      />
    </div>
  );
}
