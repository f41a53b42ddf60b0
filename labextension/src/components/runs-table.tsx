/**
 * The runs list: a hand-written windowed table with fixed row height, sortable columns, multi-select;
 * status and name pinned on the left, the other columns resizable and reorderable from the header.
 */
import * as React from 'react';

import { basename, formatDuration, formatNumber, formatTime, formatValue } from '../format';
import { IRun } from '../types';
import { GateBadge } from './gate-badge';
import { HiddenStateBadge } from './hidden-state-badge';
import { StatusBadge } from './status-badge';

export const ROW_HEIGHT = 26;
const OVERSCAN = 10;

export interface IColumn {
  /** Unique id, also the order_by field: 'name', 'params.lr', 'metrics.acc', ... */
  id: string;
  label: string;
  width: number;
  render: (run: IRun) => React.ReactNode;
  title?: (run: IRun) => string;
  /** Stays on the left while the table scrolls sideways (status and name). */
  pinned?: boolean;
  /** The header's tooltip (default: the label). */
  description?: string;
  /** Widen to fill a narrow panel (up to GROW_MAX px): the name column, until the user sizes it. */
  grow?: boolean;
}

export const GROW_MAX = 320;

/** Columns with `grow` widened so the pinned part fills a panel `viewportWidth` px wide. */
export function fitColumns(columns: IColumn[], viewportWidth: number): IColumn[] {
  const fixed = SELECT_WIDTH + columns.filter(c => c.pinned && !c.grow).reduce((sum, c) => sum + c.width, 0);
  return columns.map(c =>
    c.grow ? { ...c, width: Math.max(c.width, Math.min(GROW_MAX, viewportWidth - fixed - 2)) } : c
  );
}

export const SELECT_WIDTH = 24;

/** The badges every row shows after its name: hidden state and a failed metric gate. */
export function nameBadges(run: IRun): React.ReactNode {
  return (
    <>
      <HiddenStateBadge run={run} compact />
      <GateBadge tags={run.tags} />
    </>
  );
}

export function baseColumns(): IColumn[] {
  return [
    {
      id: 'status',
      label: '',
      description: 'Status',
      width: 24,
      pinned: true,
      render: r => <StatusBadge status={r.status} compact />
    },
    { id: 'name', label: 'Name', width: 190, pinned: true, render: r => r.name, title: r => r.name },
    { id: 'experiment', label: 'Experiment', width: 90, render: r => r.experiment, title: r => r.experiment },
    {
      id: 'source_notebook',
      label: 'Notebook',
      width: 100,
      render: r => basename(r.source_notebook),
      title: r => r.source_notebook ?? ''
    },
    { id: 'start_time', label: 'Started', width: 152, render: r => formatTime(r.start_time) },
    { id: 'duration', label: 'Duration', width: 72, render: r => formatDuration(r.duration) }
  ];
}

/** Wide enough for the header's text and its sort arrow, within reason. */
function fitWidth(label: string): number {
  return Math.min(160, Math.max(72, label.length * 7 + 24));
}

export function paramColumn(key: string): IColumn {
  return {
    id: `params.${key}`,
    label: key,
    width: fitWidth(key),
    render: r => formatValue(r.params[key]),
    title: r => formatValue(r.params[key])
  };
}

export function metricColumn(key: string): IColumn {
  return {
    id: `metrics.${key}`,
    label: key,
    width: fitWidth(key),
    render: r => formatNumber(r.metrics[key]),
    title: r => String(r.metrics[key] ?? '')
  };
}

export interface ISort {
  column: string;
  descending: boolean;
}

export interface IRunsTableProps {
  columns: IColumn[];
  total: number;
  rowAt: (index: number) => IRun | undefined;
  version: number;
  selected: ReadonlySet<string>;
  sort: ISort;
  onSort: (column: string) => void;
  onToggle: (run: IRun, index?: number) => void;
  onOpen: (run: IRun) => void;
  onRangeChange: (start: number, end: number) => void;
  /** Dragging a header's right edge. */
  onResize?: (column: string, width: number) => void;
  /** Dropping header `from` on header `to`. */
  onReorder?: (from: string, to: string) => void;
  /** Shift-click on row `index`: select the range from the last toggled row. */
  onSelectRange?: (index: number) => void;
  /** Header checkbox: select every listed run (or clear the selection). */
  onSelectAll?: (select: boolean) => void;
  /** Keys on a focused row other than Enter and Space (arrows, Delete). */
  onRowKey?: (event: React.KeyboardEvent, index: number, run: IRun) => void;
  /** A slot for small badges after a row's name (other views add theirs here). */
  rowBadges?: (run: IRun) => React.ReactNode;
  /** Tree rows: the depth and child count of display row `index` (parent/child runs). */
  rowInfo?: (index: number) => { depth: number; childCount: number; expanded: boolean } | undefined;
  onExpand?: (run: IRun, index: number) => void;
}

function Expander(props: {
  info: { depth: number; childCount: number; expanded: boolean } | undefined;
  onClick: () => void;
}): JSX.Element | null {
  const { info } = props;
  if (!info) {
    return null;
  }
  const indent = <span className="jp-mlops-TreeIndent" style={{ width: info.depth * 12 }} />;
  if (info.childCount === 0) {
    return info.depth > 0 ? indent : null;
  }
  const verb = info.expanded ? 'collapse' : 'expand';
  return (
    <>
      {indent}
      <button
        className="jp-mlops-Expander"
        aria-expanded={info.expanded}
        aria-label={`${verb} ${info.childCount} child runs`}
        title={`${verb} ${info.childCount} child runs`}
        onClick={e => {
          e.stopPropagation();
          props.onClick();
        }}
      >
        {info.expanded ? '\u25BE' : '\u25B8'}
        {info.childCount}
      </button>
    </>
  );
}

/** Left offsets of the pinned columns (the select box comes first). */
function pinnedOffsets(columns: IColumn[]): Map<string, number> {
  const out = new Map<string, number>();
  let left = SELECT_WIDTH;
  for (const c of columns) {
    if (!c.pinned) {
      break;
    }
    out.set(c.id, left);
    left += c.width;
  }
  return out;
}

function startResize(event: React.MouseEvent, column: IColumn, onResize: (id: string, width: number) => void): void {
  event.preventDefault();
  event.stopPropagation();
  const x0 = event.clientX;
  const move = (e: MouseEvent) => onResize(column.id, column.width + e.clientX - x0);
  const up = () => {
    window.removeEventListener('mousemove', move);
    window.removeEventListener('mouseup', up);
  };
  window.addEventListener('mousemove', move);
  window.addEventListener('mouseup', up);
}

function HeaderCell(props: {
  column: IColumn;
  left: number | undefined;
  sort: ISort;
  onSort: (column: string) => void;
  onResize?: (column: string, width: number) => void;
  onReorder?: (from: string, to: string) => void;
}): JSX.Element {
  const { column: c, sort } = props;
  const sorted = sort.column === c.id;
  const name = c.description ?? c.label;
  const order = sorted ? (sort.descending ? 'descending' : 'ascending') : undefined;
  return (
    <span
      className={`jp-mlops-cell jp-mlops-sortable${props.left !== undefined ? ' jp-mlops-pinned' : ''}`}
      style={{ width: c.width, left: props.left }}
      title={`${name}: click to sort${sorted ? ` (sorted ${order})` : ''}${c.pinned ? '' : '; drag to move'}`}
      data-column={c.id}
      role="columnheader"
      aria-sort={order ?? 'none'}
      draggable={!c.pinned && props.onReorder !== undefined}
      onDragStart={e => e.dataTransfer.setData('text/x-mlops-column', c.id)}
      onDragOver={e => !c.pinned && e.preventDefault()}
      onDrop={e => {
        const from = e.dataTransfer.getData('text/x-mlops-column');
        if (from && !c.pinned) {
          e.preventDefault();
          props.onReorder?.(from, c.id);
        }
      }}
      onClick={() => props.onSort(c.id)}
    >
      <span className="jp-mlops-HeaderLabel">{c.label}</span>
      {sorted && <span className="jp-mlops-SortIndicator">{sort.descending ? '\u25BC' : '\u25B2'}</span>}
      {props.onResize && (
        <span
          className="jp-mlops-ResizeHandle"
          aria-hidden="true"
          onClick={e => e.stopPropagation()}
          onMouseDown={e => startResize(e, c, props.onResize!)}
        />
      )}
    </span>
  );
}

export function RunsTable(props: IRunsTableProps): JSX.Element {
  const scroller = React.useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = React.useState(0);
  const [viewport, setViewport] = React.useState(600);
  const [viewportWidth, setViewportWidth] = React.useState(0);
  const frame = React.useRef(0);

  React.useEffect(() => {
    const node = scroller.current;
    if (!node) {
      return;
    }
    const measure = () => {
      setViewport(node.clientHeight || 600);
      setViewportWidth(node.clientWidth);
    };
    const observer = new ResizeObserver(measure);
    observer.observe(node);
    measure();
    return () => observer.disconnect();
  }, []);

  const onScroll = () => {
    if (frame.current) {
      return;
    }
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      setScrollTop(scroller.current?.scrollTop ?? 0);
    });
  };

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(props.total, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN);
  const { onRangeChange } = props;
  React.useEffect(() => onRangeChange(first, Math.max(last, first + 1)), [onRangeChange, first, last]);

  const columns = fitColumns(props.columns, viewportWidth);
  const width = SELECT_WIDTH + columns.reduce((sum, c) => sum + c.width, 0);
  const offsets = pinnedOffsets(columns);
  const rows: JSX.Element[] = [];
  for (let i = first; i < last; i++) {
    const run = props.rowAt(i);
    const top = i * ROW_HEIGHT;
    if (!run) {
      rows.push(<div key={`p${i}`} className="jp-mlops-RunRow jp-mlops-placeholder" style={{ top, width }} />);
      continue;
    }
    const selected = props.selected.has(run.run_id);
    rows.push(
      <div
        key={run.run_id}
        className={`jp-mlops-RunRow${selected ? ' jp-mod-selected' : ''}`}
        data-run-id={run.run_id}
        style={{ top, width }}
        role="row"
        tabIndex={0}
        aria-selected={selected}
        data-index={i}
        onMouseDown={event => event.shiftKey && event.preventDefault()}
        onClick={event => {
          if (event.shiftKey && props.onSelectRange) {
            props.onSelectRange(i);
          } else if (event.ctrlKey || event.metaKey) {
            props.onToggle(run, i);
          } else {
            props.onOpen(run);
          }
        }}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            props.onOpen(run);
          } else if (event.key === ' ') {
            event.preventDefault();
            if (event.shiftKey && props.onSelectRange) {
              props.onSelectRange(i);
            } else {
              props.onToggle(run, i);
            }
          } else {
            props.onRowKey?.(event, i, run);
          }
        }}
      >
        <span
          className="jp-mlops-cell jp-mlops-select jp-mlops-pinned"
          style={{ width: SELECT_WIDTH, left: 0 }}
          onClick={e => {
            e.stopPropagation();
            if (e.shiftKey && props.onSelectRange) {
              e.preventDefault();
              props.onSelectRange(i);
            }
          }}
        >
          <input
            type="checkbox"
            aria-label="select run"
            tabIndex={-1}
            checked={selected}
            onChange={e => !(e.nativeEvent as MouseEvent).shiftKey && props.onToggle(run, i)}
          />
        </span>
        {columns.map(c => (
          <span
            key={c.id}
            className={`jp-mlops-cell${offsets.has(c.id) ? ' jp-mlops-pinned' : ''}`}
            style={{ width: c.width, left: offsets.get(c.id) }}
            title={c.title?.(run)}
            data-column={c.id}
          >
            {c.id === 'name' && props.rowInfo && (
              <Expander info={props.rowInfo(i)} onClick={() => props.onExpand?.(run, i)} />
            )}
            {c.render(run)}
            {c.id === 'name' && nameBadges(run)}
            {c.id === 'name' && props.rowBadges?.(run)}
          </span>
        ))}
      </div>
    );
  }

  return (
    <div className="jp-mlops-RunsTable" ref={scroller} onScroll={onScroll}>
      <div className="jp-mlops-RunsHeader" style={{ width }} role="row">
        <span className="jp-mlops-cell jp-mlops-select jp-mlops-pinned" style={{ width: SELECT_WIDTH, left: 0 }}>
          {props.onSelectAll && (
            <input
              type="checkbox"
              aria-label="select all listed runs"
              title="Select all listed runs"
              checked={props.total > 0 && props.selected.size >= props.total}
              onChange={e => props.onSelectAll?.(e.target.checked)}
            />
          )}
        </span>
        {columns.map(c => (
          <HeaderCell
            key={c.id}
            column={c}
            left={offsets.get(c.id)}
            sort={props.sort}
            onSort={props.onSort}
            onResize={props.onResize}
            onReorder={props.onReorder}
          />
        ))}
      </div>
      <div className="jp-mlops-RunsBody" style={{ height: props.total * ROW_HEIGHT, width }}>
        {rows}
      </div>
    </div>
  );
}
