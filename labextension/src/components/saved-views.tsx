/**
 * Saved views: the list's filter, columns, widths and sort saved under a name, listed, applied
 * and deleted; kept in JupyterLab's state database with the rest of the panel's state.
 */
import * as React from 'react';
import { InputDialog } from '@jupyterlab/apputils';

import { usePersistentState } from '../view-state';

export interface ISavedView<T> {
  name: string;
  view: T;
}

/** The saved list as read back from the state database: malformed entries are dropped. */
export function parseSavedViews<T>(value: unknown, parse: (view: unknown) => T): ISavedView<T>[] {
  if (!Array.isArray(value)) {
    return [];
  }
  return value
    .filter(v => v && typeof v === 'object' && typeof (v as { name: unknown }).name === 'string')
    .map(v => ({ name: (v as { name: string }).name, view: parse((v as { view: unknown }).view) }));
}

/** `views` with `name` saved as `view` (replacing one of that name), sorted by name. */
export function withView<T>(views: ISavedView<T>[], name: string, view: T): ISavedView<T>[] {
  return [...views.filter(v => v.name !== name), { name, view }].sort((a, b) => a.name.localeCompare(b.name));
}

export interface ISavedViewsProps<T> {
  current: T;
  parse: (view: unknown) => T;
  onApply: (view: T) => void;
}

export function SavedViews<T>(props: ISavedViewsProps<T>): JSX.Element {
  const { parse } = props;
  const parseList = React.useCallback((value: unknown) => parseSavedViews(value, parse), [parse]);
  const [views, setViews] = usePersistentState<ISavedView<T>[]>('saved-views', [], parseList);
  const [chosen, setChosen] = React.useState('');
  const save = async () => {
    const answer = await InputDialog.getText({
      title: 'Save this view (filter, columns, sort) as',
      text: chosen,
      placeholder: 'view name'
    });
    const name = answer.button.accept ? (answer.value ?? '').trim() : '';
    if (name) {
      setViews(prev => withView(prev, name, props.current));
      setChosen(name);
    }
  };
  const apply = (name: string) => {
    setChosen(name);
    const found = views.find(v => v.name === name);
    if (found) {
      props.onApply(found.view);
    }
  };
  return (
    <span className="jp-mlops-SavedViews">
      <select
        className="jp-mlops-SavedViews-select"
        aria-label="Saved views"
        value={views.some(v => v.name === chosen) ? chosen : ''}
        onChange={e => apply(e.target.value)}
      >
        <option value="" disabled>
          {views.length === 0 ? 'No saved views' : 'Views…'}
        </option>
        {views.map(v => (
          <option key={v.name} value={v.name}>
            {v.name}
          </option>
        ))}
      </select>
      <button
        className="jp-mlops-button"
        onClick={() => void save()}
        title="Save the filter, columns and sort under a name"
      >
        Save view
      </button>
      <button
        className="jp-mlops-button"
        disabled={!views.some(v => v.name === chosen)}
        onClick={() => {
          setViews(prev => prev.filter(v => v.name !== chosen));
          setChosen('');
        }}
        title="Delete the chosen saved view"
      >
        Delete view
      </button>
    </span>
  );
}
