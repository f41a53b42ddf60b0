/**
 * Panel state that survives a reload (columns, sort, filter, widths, quick filters, saved views),
 * kept in JupyterLab's state database through the small IViewStateStore interface.
 */
import * as React from 'react';

import { useServices } from './hooks';

/** Where view state is kept: JupyterLab's IStateDB in the app, a Map in tests. */
export interface IViewStateStore {
  fetch(id: string): Promise<unknown>;
  save(id: string, value: unknown): Promise<unknown>;
}

/** The state database key prefix of every saved panel value. */
export const STATE_PREFIX = 'mlops-jupyter:';

/** How long edits settle before they are written (dragging a column edge writes once). */
const SAVE_DELAY = 300;

/**
 * A piece of React state restored from the state database on mount and written back when it
 * changes. `loaded` is false until the saved value arrived (or there was none), so callers can
 * hold back queries that would otherwise run once with the defaults.
 */
export function usePersistentState<T>(
  key: string,
  initial: T,
  parse: (value: unknown) => T
): [T, React.Dispatch<React.SetStateAction<T>>, boolean] {
  const { viewState } = useServices();
  const [value, setValue] = React.useState<T>(initial);
  const [loaded, setLoaded] = React.useState(!viewState);
  const parseRef = React.useRef(parse);
  parseRef.current = parse;
  React.useEffect(() => {
    if (!viewState) {
      return;
    }
    let live = true;
    viewState.fetch(STATE_PREFIX + key).then(
      saved => {
        if (live) {
          if (saved !== undefined && saved !== null) {
            setValue(parseRef.current(saved));
          }
          setLoaded(true);
        }
      },
      () => live && setLoaded(true)
    );
    return () => {
      live = false;
    };
  }, [viewState, key]);
  React.useEffect(() => {
    if (!viewState || !loaded) {
      return;
    }
    const timer = window.setTimeout(() => {
      viewState.save(STATE_PREFIX + key, JSON.parse(JSON.stringify(value))).catch(err => {
        console.warn('mlops-jupyter: could not save the panel state', err);
      });
    }, SAVE_DELAY);
    return () => window.clearTimeout(timer);
  }, [viewState, key, value, loaded]);
  return [value, setValue, loaded];
}
