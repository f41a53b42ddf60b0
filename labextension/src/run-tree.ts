/**
 * Parent and child runs as a tree over the windowed list: a sweep is one row with a count, and
 * expanding it inserts its points (and their `%%track` children, when expanded) below it.
 */
import * as React from 'react';

import { errorMessage } from './errors';
import { IRunsWindow, useServices } from './hooks';
import { IRun } from './types';

/** The most children one expansion lists (a 1,000-point sweep shows whole). */
export const MAX_CHILDREN = 1000;
/** Children shown at once on expanding (a screenful and more); the rest follow in one request. */
export const FIRST_CHILDREN = 100;

export interface ITreeRow {
  run: IRun;
  depth: number;
  childCount: number;
  expanded: boolean;
}

interface IExpansion {
  /** Where the parent was in the server's list when it was expanded (top-level parents). */
  at: number | null;
  children: IRun[];
  counts: { [runId: string]: number };
}

export interface IRunTree {
  total: number;
  rowAt: (index: number) => IRun | undefined;
  infoAt: (index: number) => ITreeRow | undefined;
  toggle: (run: IRun, index: number) => void;
  error: string | null;
  /** The server rows a display range needs (expanded children shift the list down). */
  serverRange: (start: number, end: number) => [number, number];
}

/** The filter listing a run's children (ids are 32 hex characters: no quoting issue). */
export function childrenFilter(runId: string): string {
  return `parent_run_id == '${runId}'`;
}

export function useRunTree(win: IRunsWindow, depthOf: (run: IRun) => number = () => 0): IRunTree {
  const { client } = useServices();
  const [expanded, setExpanded] = React.useState<ReadonlyMap<string, IExpansion>>(() => new Map());
  const [error, setError] = React.useState<string | null>(null);
  const { rowAt: top, total: topTotal, childCount } = win;

  const model = React.useMemo(() => {
    const flatten = (id: string, depth: number, out: ITreeRow[]) => {
      const exp = expanded.get(id);
      for (const c of exp?.children ?? []) {
        const open = expanded.has(c.run_id);
        out.push({ run: c, depth, childCount: exp!.counts[c.run_id] ?? 0, expanded: open });
        if (open) {
          flatten(c.run_id, depth + 1, out);
        }
      }
      return out;
    };
    const inserts: { at: number; rows: ITreeRow[] }[] = [];
    for (const [id, exp] of expanded) {
      if (exp.at !== null && top(exp.at)?.run_id === id) {
        inserts.push({ at: exp.at, rows: flatten(id, 1, []) });
      }
    }
    inserts.sort((a, b) => a.at - b.at);
    const added = inserts.reduce((n, x) => n + x.rows.length, 0);
    const infoAt = (i: number): ITreeRow | undefined => {
      let offset = 0;
      for (const ins of inserts) {
        if (i <= ins.at + offset) {
          break;
        }
        if (i <= ins.at + offset + ins.rows.length) {
          return ins.rows[i - offset - ins.at - 1];
        }
        offset += ins.rows.length;
      }
      const run = top(i - offset);
      return run
        ? { run, depth: depthOf(run), childCount: childCount(run.run_id), expanded: expanded.has(run.run_id) }
        : undefined;
    };
    return { infoAt, total: (topTotal ?? 0) + added, added };
  }, [expanded, top, topTotal, childCount, depthOf]);

  const toggle = (run: IRun, index: number) => {
    if (expanded.has(run.run_id)) {
      setExpanded(prev => {
        const next = new Map(prev);
        next.delete(run.run_id);
        return next;
      });
      return;
    }
    const info = model.infoAt(index);
    // a top-level row: remember its server index; a child: it hangs off its expanded parent
    const at = info && info.depth === 0 ? index - countAbove(model.infoAt, index) : null;
    const query = { filter: childrenFilter(run.run_id), order_by: 'start_time ASC' };
    const first: IExpansion = { at, children: [], counts: {} };
    client.listRuns({ ...query, limit: FIRST_CHILDREN }).then(
      reply => {
        setError(null);
        Object.assign(first, { children: reply.runs, counts: reply.child_counts ?? {} });
        setExpanded(prev => new Map(prev).set(run.run_id, first));
        if (reply.total <= reply.runs.length) {
          return;
        }
        // the rest of a large sweep, appended while the first rows are already showing
        const offset = reply.runs.length;
        return client.listRuns({ ...query, offset, limit: MAX_CHILDREN - offset }).then(more =>
          setExpanded(prev =>
            prev.get(run.run_id) !== first // collapsed (or expanded again) meanwhile
              ? prev
              : new Map(prev).set(run.run_id, {
                  at,
                  children: [...first.children, ...more.runs],
                  counts: { ...first.counts, ...(more.child_counts ?? {}) }
                })
          )
        );
      },
      (err: unknown) => setError(errorMessage(err))
    );
  };

  return {
    total: model.total,
    rowAt: (i: number) => model.infoAt(i)?.run,
    infoAt: model.infoAt,
    toggle,
    error,
    serverRange: (start, end) => [Math.max(0, start - model.added), end]
  };
}

/** How many inserted (child) rows are above display row `index`. */
function countAbove(infoAt: (i: number) => ITreeRow | undefined, index: number): number {
  let n = 0;
  for (let i = 0; i < index; i++) {
    if ((infoAt(i)?.depth ?? 0) > 0) {
      n++;
    }
  }
  return n;
}
