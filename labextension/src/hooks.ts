/**
 * Data hooks: components get runs, one run, metrics and blobs from here, never fetch themselves
 * (the services context they read is here too; action hooks are in action-hooks.ts).
 */
import * as React from 'react';

import type { MlopsClient } from './api';
import type { JobBoard } from './job-board';
import { errorMessage } from './errors';
import type { ICellTarget } from './open-cell';
import { POLL_INTERVAL } from './tokens';
import { ICapabilities, IRun } from './types';
import type { IViewStateStore } from './view-state';

/** What the panel and its main-area views share: the client, capabilities, and navigation. */
export interface IPanelServices {
  client: MlopsClient;
  capabilities: ICapabilities | null;
  openRun: (runId: string, name: string) => void;
  openCompare: (runIds: string[]) => void;
  openPath: (path: string) => void;
  /** Open a notebook and select the run's cell (resolves false when the cell is not found). */
  openCell?: (path: string, target: ICellTarget) => Promise<boolean>;
  /** Called after a run was deleted or changed, so lists refresh at once. */
  notifyChanged: () => void;
  /** Bumped by notifyChanged / the refresh command. */
  changeCount: number;
  /** Whether the Runs sidebar is showing (it polls only then). */
  visible: boolean;
  /** Where the panel keeps its columns, sort and filter across reloads (absent: not kept). */
  viewState?: IViewStateStore | null;
  /** Show a folder in the file browser (absent: openPath is used). */
  openFolder?: (path: string) => void;
  /** Jobs started outside a run page (conversions), shown as job lines in the sidebar. */
  jobBoard?: JobBoard;
}

export const ServicesContext = React.createContext<IPanelServices | null>(null);

export function useServices(): IPanelServices {
  const services = React.useContext(ServicesContext);
  if (!services) {
    throw new Error('mlops-jupyter: ServicesContext is missing');
  }
  return services;
}

export interface IAsyncState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/**
 * Run an async function when deps change (and every pollMs while `poll` returns true). Like
 * useEffect, `fn` must use only what `deps` lists: ESLint checks every call (additionalHooks).
 */
export function useAsyncEffect<T>(
  fn: () => Promise<T>,
  deps: React.DependencyList,
  poll?: (data: T | null) => boolean,
  pollMs: number = POLL_INTERVAL
): IAsyncState<T> {
  const [data, setData] = React.useState<T | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [loading, setLoading] = React.useState(true);
  const [tick, setTick] = React.useState(0);
  const dataRef = React.useRef<T | null>(null);
  const pollRef = React.useRef(poll);
  pollRef.current = poll;
  const polling = poll !== undefined;
  // The caller's deps, checked at the call site like useEffect's (see the ESLint config).
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const load = React.useCallback(fn, deps);
  React.useEffect(() => {
    let live = true;
    setLoading(true);
    load().then(
      value => {
        if (live) {
          dataRef.current = value;
          setData(value);
          setError(null);
          setLoading(false);
        }
      },
      (err: unknown) => {
        if (live) {
          setError(errorMessage(err));
          setLoading(false);
        }
      }
    );
    return () => {
      live = false;
    };
  }, [load, tick]);
  React.useEffect(() => {
    if (!polling) {
      return;
    }
    const timer = window.setInterval(() => {
      if (pollRef.current?.(dataRef.current)) {
        setTick(t => t + 1);
      }
    }, pollMs);
    return () => window.clearInterval(timer);
  }, [load, polling, pollMs]);
  const reload = React.useCallback(() => setTick(t => t + 1), []);
  return { data, error, loading, reload };
}

export const PAGE_SIZE = 200;

export interface IRunsWindow {
  total: number | null;
  rowAt: (index: number) => IRun | undefined;
  error: string | null;
  /** Bumped whenever rows change, so memoised children re-render. */
  version: number;
  /** The rows shown are the last good results of an earlier query (the new one failed or is loading). */
  stale: boolean;
  /** How many child runs a listed run has (0 when none or unknown). */
  childCount: (runId: string) => number;
}

/**
 * A window onto the (possibly huge) filtered, sorted run list: pages are fetched when the visible
 * range needs them, and the visible pages plus the total are polled for live updates.
 */
export function useRunsWindow(
  filter: string,
  orderBy: string,
  start: number,
  end: number,
  enabled: boolean = true
): IRunsWindow {
  const { client, changeCount, visible } = useServices();
  const visibleRef = React.useRef(visible);
  visibleRef.current = visible;
  // Loaded pages: an immutable snapshot per change, so rowAt changes exactly when rows do.
  const [pages, setPages] = React.useState<ReadonlyMap<number, IRun[]>>(() => new Map());
  const inflight = React.useRef(new Set<number>());
  const generation = React.useRef(0);
  const [total, setTotal] = React.useState<number | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const errorRef = React.useRef<string | null>(null);
  errorRef.current = error; // a bad filter is not re-sent by the poller
  const [version, setVersion] = React.useState(0);
  const range = React.useRef({ start, end });
  range.current = { start, end };
  // A new query keeps showing the previous rows until its first page arrives, and keeps them
  // when it fails: a typo never empties the list.
  const [stale, setStale] = React.useState(false);
  const staleRef = React.useRef(false);
  const [counts, setCounts] = React.useState<ReadonlyMap<string, number>>(() => new Map());

  const fetchPage = React.useCallback(
    (page: number) => {
      const gen = generation.current;
      const key = page + gen * 1e9;
      if (inflight.current.has(key)) {
        return;
      }
      inflight.current.add(key);
      client
        .listRuns({ filter, order_by: orderBy, offset: page * PAGE_SIZE, limit: PAGE_SIZE })
        .then(
          reply => {
            if (gen !== generation.current) {
              return;
            }
            const fresh = staleRef.current;
            staleRef.current = false;
            setStale(false);
            setPages(prev => new Map(fresh ? [] : prev).set(page, reply.runs));
            if (reply.child_counts) {
              const got = reply.child_counts;
              setCounts(prev => {
                const next = new Map(prev);
                reply.runs.forEach(r => next.set(r.run_id, got[r.run_id] ?? 0));
                return next;
              });
            }
            setTotal(reply.total);
            setError(null);
            setVersion(v => v + 1);
          },
          (err: unknown) => {
            if (gen === generation.current) {
              setError(errorMessage(err));
            }
          }
        )
        .finally(() => inflight.current.delete(key));
    },
    [client, filter, orderBy]
  );

  /** The pages the visible range [start, end) covers (read from a ref: always the latest). */
  const visiblePages = React.useCallback((): number[] => {
    const first = Math.floor(range.current.start / PAGE_SIZE);
    const last = Math.floor(Math.max(range.current.end - 1, range.current.start) / PAGE_SIZE);
    const out: number[] = [];
    for (let p = first; p <= last; p++) {
      out.push(p);
    }
    return out;
  }, []);

  // New query: the cached pages become stale (shown until the first new page replaces them).
  React.useEffect(() => {
    if (!enabled) {
      return; // e.g. the saved filter is still being read: do not fetch with the defaults first
    }
    generation.current += 1;
    staleRef.current = generation.current > 1;
    setStale(staleRef.current);
    setVersion(v => v + 1);
    visiblePages().forEach(fetchPage);
  }, [fetchPage, visiblePages, enabled]);

  // Explicit refresh (after delete / tag / refresh command): refetch visible pages.
  React.useEffect(() => {
    if (changeCount > 0 && generation.current > 0) {
      visiblePages().forEach(fetchPage);
    }
  }, [changeCount, fetchPage, visiblePages]);

  // Scrolled to pages not loaded yet (those in flight are skipped by fetchPage).
  React.useEffect(() => {
    if (generation.current === 0) {
      return;
    }
    visiblePages()
      .filter(p => staleRef.current || !pages.has(p))
      .forEach(fetchPage);
  }, [start, end, pages, fetchPage, visiblePages]);

  // Live updates: poll the visible pages (and so the total) while the panel is mounted.
  React.useEffect(() => {
    const timer = window.setInterval(() => {
      if (!document.hidden && visibleRef.current && !errorRef.current && generation.current > 0) {
        visiblePages().forEach(fetchPage);
      }
    }, POLL_INTERVAL);
    return () => window.clearInterval(timer);
  }, [fetchPage, visiblePages]);

  const rowAt = React.useCallback(
    (index: number) => pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE],
    [pages]
  );
  const childCount = React.useCallback((runId: string) => counts.get(runId) ?? 0, [counts]);
  return { total, rowAt, error, version, stale, childCount };
}

/** An object URL for an artifact blob, fetched with the server's auth; revoked on unmount. */
export function useBlobUrl(runId: string, sha256: string): { url: string | null; error: string | null } {
  const { client } = useServices();
  const [url, setUrl] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    let live = true;
    let objectUrl: string | null = null;
    client.getArtifactBlob(runId, sha256).then(
      blob => {
        if (live) {
          objectUrl = URL.createObjectURL(blob);
          setUrl(objectUrl);
        }
      },
      (err: unknown) => live && setError(errorMessage(err))
    );
    return () => {
      live = false;
      if (objectUrl) {
        URL.revokeObjectURL(objectUrl);
      }
    };
  }, [client, runId, sha256]);
  return { url, error };
}
