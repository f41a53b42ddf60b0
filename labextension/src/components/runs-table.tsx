/** The runs list: a hand-written windowed table with fixed row height, sortable columns, multi-select. */
import * as React from 'react';

import { basename, formatDuration, formatNumber, formatTime, formatValue } from '../format';
import { IRun } from '../types';
import { GateBadge } from './gate-badge';
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
}

export function baseColumns(): IColumn[] {
  return [
    {
      id: 'status',
      label: 'Status',
      width: 76,
      render: r => (
        <>
          <StatusBadge status={r.status} />
          <GateBadge tags={r.tags} />
        </>
      )
    },
    { id: 'name', label: 'Name', width: 140, render: r => r.name, title: r => r.name },
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

export function paramColumn(key: string): IColumn {
  return {
    id: `params.${key}`,
    label: key,
    width: 80,
    render: r => formatValue(r.params[key]),
    title: r => formatValue(r.params[key])
  };
}

export function metricColumn(key: string): IColumn {
  return {
    id: `metrics.${key}`,
    label: key,
    width: 80,
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
  onToggle: (run: IRun) => void;
  onOpen: (run: IRun) => void;
  onRangeChange: (start: number, end: number) => void;
}

export function RunsTable(props: IRunsTableProps): JSX.Element {
  const scroller = React.useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = React.useState(0);
  const [viewport, setViewport] = React.useState(600);
  const frame = React.useRef(0);

  React.useEffect(() => {
    const node = scroller.current;
    if (!node) {
      return;
    }
    const observer = new ResizeObserver(() => setViewport(node.clientHeight || 600));
    observer.observe(node);
    setViewport(node.clientHeight || 600);
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

  const width = 28 + props.columns.reduce((sum, c) => sum + c.width, 0);
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
        onClick={event => (event.ctrlKey || event.metaKey ? props.onToggle(run) : props.onOpen(run))}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            props.onOpen(run);
          } else if (event.key === ' ') {
            event.preventDefault();
            props.onToggle(run);
          }
        }}
      >
        <span className="jp-mlops-cell jp-mlops-select" style={{ width: 28 }} onClick={e => e.stopPropagation()}>
          <input type="checkbox" aria-label="select run" checked={selected} onChange={() => props.onToggle(run)} />
        </span>
        {props.columns.map(c => (
          <span
            key={c.id}
            className="jp-mlops-cell"
            style={{ width: c.width }}
            title={c.title?.(run)}
            data-column={c.id}
          >
            {c.render(run)}
          </span>
        ))}
      </div>
    );
  }

  return (
    <div className="jp-mlops-RunsTable" ref={scroller} onScroll={onScroll}>
      <div className="jp-mlops-RunsHeader" style={{ width }}>
        <span className="jp-mlops-cell" style={{ width: 28 }} />
        {props.columns.map(c => (
          <span
            key={c.id}
            className="jp-mlops-cell jp-mlops-sortable"
            style={{ width: c.width }}
            title={`sort by ${c.label}`}
            data-column={c.id}
            onClick={() => props.onSort(c.id)}
          >
            {c.label}
            {props.sort.column === c.id ? (props.sort.descending ? ' \u25BC' : ' \u25B2') : ''}
          </span>
        ))}
      </div>
      <div className="jp-mlops-RunsBody" style={{ height: props.total * ROW_HEIGHT, width }}>
        {rows}
      </div>
    </div>
  );
}
