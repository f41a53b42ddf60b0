/**
 * The runs filter: a text box with completions of the store's keys, a clear button, and the
 * quick filters (status, time range, experiment) beside it.
 */
import * as React from 'react';

import { applySuggestion, IQuickFilters, ISuggestions, StatusChoice, suggest, TIME_RANGES } from '../filter-suggest';
import { IKeysReply } from '../types';

export const FILTER_HELP =
  'Press Enter to apply. Fields: metrics.*, params.*, tags.*, name, status, experiment, notebook, ' +
  "start_time (e.g. start_time > '2026-12-01'), end_time, duration, parent_run_id. " +
  "Operators: == (or =), !=, <, >, in (...), LIKE 'pat%', is None, and/or/not, name.startswith('x').";

export interface IFilterBoxProps {
  draft: string;
  onDraft: (text: string) => void;
  onApply: (text: string) => void;
  keys: IKeysReply | null;
}

export function FilterBox(props: IFilterBoxProps): JSX.Element {
  const input = React.useRef<HTMLInputElement>(null);
  const [open, setOpen] = React.useState<ISuggestions | null>(null);
  const [active, setActive] = React.useState(0);
  const { draft, onDraft, onApply, keys } = props;

  const refresh = (text: string, caret: number) => {
    const s = suggest(text, caret, keys);
    setOpen(s.items.length > 0 ? s : null);
    setActive(0);
  };
  const accept = (item: string) => {
    if (!open) {
      return;
    }
    const next = applySuggestion(draft, open, item);
    onDraft(next.text);
    setOpen(null);
    window.requestAnimationFrame(() => input.current?.setSelectionRange(next.caret, next.caret));
    input.current?.focus();
  };
  const onKeyDown = (e: React.KeyboardEvent<HTMLInputElement>) => {
    if (open && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      const n = open.items.length;
      setActive(a => (a + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
    } else if (open && (e.key === 'Tab' || (e.key === 'Enter' && active >= 0))) {
      e.preventDefault();
      accept(open.items[active]);
    } else if (e.key === 'Escape') {
      setOpen(null);
    } else if (e.key === 'Enter') {
      onApply(draft.trim());
    }
  };

  return (
    <div className="jp-mlops-FilterWrap">
      <input
        ref={input}
        className="jp-mlops-FilterBox jp-mod-styled"
        placeholder="filter, e.g. metrics.acc > 0.9"
        aria-label="filter runs"
        aria-autocomplete="list"
        aria-expanded={open !== null}
        value={draft}
        onChange={e => {
          onDraft(e.target.value);
          refresh(e.target.value, e.target.selectionStart ?? e.target.value.length);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => window.setTimeout(() => setOpen(null), 150)}
        title={FILTER_HELP}
      />
      {draft.length > 0 && (
        <button
          className="jp-mlops-FilterClear"
          aria-label="clear the filter"
          title="Clear the filter"
          onClick={() => {
            onDraft('');
            onApply('');
            setOpen(null);
          }}
        >
          {'\u00D7'}
        </button>
      )}
      {open && (
        <ul className="jp-mlops-Suggestions" role="listbox" aria-label="filter suggestions">
          {open.items.map((item, i) => (
            <li
              key={item}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'jp-mod-active' : ''}
              onMouseDown={e => {
                e.preventDefault();
                accept(item);
              }}
            >
              {item}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export interface IQuickFiltersProps {
  value: IQuickFilters;
  onChange: (value: IQuickFilters) => void;
  experiments: string[];
}

/** Status, time range and experiment pickers (each folded into the filter with `and`). */
export function QuickFilters(props: IQuickFiltersProps): JSX.Element {
  const { value, onChange } = props;
  const experiments =
    value.experiment && !props.experiments.includes(value.experiment)
      ? [value.experiment, ...props.experiments]
      : props.experiments;
  return (
    <div className="jp-mlops-QuickFilters">
      <select
        aria-label="status"
        title="Only runs with this status"
        value={value.status}
        onChange={e => onChange({ ...value, status: e.target.value as StatusChoice })}
      >
        <option value="">any status</option>
        {['running', 'finished', 'failed', 'killed', 'pruned'].map(s => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <select
        aria-label="time range"
        title="Only runs started in this time range"
        value={value.sinceHours}
        onChange={e => onChange({ ...value, sinceHours: Number(e.target.value) })}
      >
        {TIME_RANGES.map(([hours, label]) => (
          <option key={hours} value={hours}>
            {label}
          </option>
        ))}
      </select>
      <select
        aria-label="experiment"
        title="Only this experiment's runs"
        value={value.experiment}
        onChange={e => onChange({ ...value, experiment: e.target.value })}
      >
        <option value="">all experiments</option>
        {experiments.map(x => (
          <option key={x} value={x}>
            {x}
          </option>
        ))}
      </select>
    </div>
  );
}
