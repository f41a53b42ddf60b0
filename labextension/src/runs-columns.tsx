/**
 * The runs list's columns: the base ones (status and name pinned, the name followed by what tells
 * runs apart), then the chosen params and metrics, shaped by the user's saved column layout.
 */
import * as React from 'react';

import { applyOrder, IColumnLayout } from './column-layout';
import { baseColumns, IColumn, metricColumn, paramColumn } from './components/runs-table';
import { collectKeys, IRunKeys, summaryParts, summaryText, summaryTitle } from './run-summary';
import { IRun } from './types';

/** The name cell: the name, then `lr=0.1 · acc 0.958` (the varying params and headline metric). */
export function nameColumn(varying: string[], headline: string | null): IColumn {
  return {
    id: 'name',
    label: 'Name',
    width: 190,
    pinned: true,
    grow: true,
    render: (r: IRun) => {
      const text = summaryText(summaryParts(r, varying, headline));
      return (
        <>
          <span className="jp-mlops-RunName">{r.name}</span>
          {text && <span className="jp-mlops-RunSummary">{` \u00B7 ${text}`}</span>}
        </>
      );
    },
    title: (r: IRun) => summaryTitle(r, summaryParts(r, varying, headline, 8))
  };
}

export interface IShownColumns {
  /** The columns shown, in order. */
  columns: IColumn[];
  /** Every base column (to hide or show). */
  base: IColumn[];
  /** The chosen params.* / metrics.* ids. */
  chosen: string[];
  keys: IRunKeys;
}

/** Columns for the rows loaded so far and the user's layout (defaults: varying params, headline metrics). */
export function useShownColumns(rows: (IRun | undefined)[], layout: IColumnLayout): IShownColumns {
  const keys = React.useMemo(() => collectKeys(rows), [rows]);
  const headline = keys.used[0] ?? null;
  const chosen = React.useMemo(
    () =>
      layout.extra ?? [
        ...keys.varying.slice(0, 2).map(k => `params.${k}`),
        ...keys.used.slice(0, 2).map(k => `metrics.${k}`)
      ],
    [layout.extra, keys]
  );
  const base = React.useMemo(
    () => baseColumns().map(c => (c.id === 'name' ? nameColumn(keys.varying, headline) : c)),
    [keys, headline]
  );
  const columns = React.useMemo(() => {
    const all = [
      ...base,
      ...chosen.map(id => (id.startsWith('params.') ? paramColumn(id.slice(7)) : metricColumn(id.slice(8))))
    ];
    const shown = all
      .filter(c => c.pinned || !layout.hidden.includes(c.id))
      .map(c => (layout.widths[c.id] ? { ...c, width: layout.widths[c.id], grow: false } : c))
      .map(c => (c.description ? c : { ...c, description: headerDescription(c.id, c.label) }));
    return applyOrder(shown, layout.order);
  }, [base, chosen, layout]);
  return { columns, base, chosen, keys };
}

function headerDescription(id: string, label: string): string {
  if (id.startsWith('params.')) {
    return `parameter ${id.slice(7)}`;
  }
  if (id.startsWith('metrics.')) {
    return `metric ${id.slice(8)}`;
  }
  return label;
}
