/** Re-run a run with edited parameters: a typed form generated from the run's recorded parameters. */
import * as React from 'react';

import { formatValue, ParamKind, paramKind, parseParam } from '../format';
import { ParamValue } from '../types';

export interface IRerunFormProps {
  params: { [key: string]: ParamValue };
  onSubmit: (changed: { [key: string]: ParamValue }) => void;
  onCancel: () => void;
  busy: boolean;
}

export function RerunForm(props: IRerunFormProps): JSX.Element {
  const keys = Object.keys(props.params).sort();
  const kinds: { [key: string]: ParamKind } = Object.fromEntries(keys.map(k => [k, paramKind(props.params[k])]));
  const initial = () =>
    Object.fromEntries(
      keys.map(k => [k, kinds[k] === 'bool' ? Boolean(props.params[k]) : kinds[k] === 'json' ? JSON.stringify(props.params[k]) : formatValue(props.params[k])])
    ) as { [key: string]: string | boolean };
  const [values, setValues] = React.useState(initial);
  const [error, setError] = React.useState<string | null>(null);

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    try {
      const changed: { [key: string]: ParamValue } = {};
      for (const k of keys) {
        const value = parseParam(kinds[k], values[k], k);
        if (JSON.stringify(value) !== JSON.stringify(props.params[k])) {
          changed[k] = value;
        }
      }
      setError(null);
      props.onSubmit(changed);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <form className="jp-mlops-RerunForm" onSubmit={submit}>
      {keys.length === 0 && <div className="jp-mlops-muted">This run recorded no parameters.</div>}
      {keys.map(k => (
        <label key={k} className="jp-mlops-RerunForm-row">
          <span className="jp-mlops-RerunForm-name">{k}</span>
          <span className="jp-mlops-muted">{kinds[k]}</span>
          {kinds[k] === 'bool' ? (
            <input
              type="checkbox"
              name={k}
              checked={Boolean(values[k])}
              onChange={e => setValues({ ...values, [k]: e.target.checked })}
            />
          ) : (
            <input
              className="jp-mod-styled"
              name={k}
              type={kinds[k] === 'int' || kinds[k] === 'float' ? 'number' : 'text'}
              step={kinds[k] === 'float' ? 'any' : kinds[k] === 'int' ? 1 : undefined}
              value={String(values[k])}
              onChange={e => setValues({ ...values, [k]: e.target.value })}
            />
          )}
        </label>
      ))}
      {error && <div className="jp-mlops-error">{error}</div>}
      <div className="jp-mlops-RerunForm-buttons">
        <button type="submit" className="jp-mod-styled jp-mod-accept" disabled={props.busy}>
          Run
        </button>
        <button type="button" className="jp-mod-styled" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
