/** Re-run a run with edited parameters: a typed form generated from the parameters schema. */
import * as React from 'react';

import { formatValue, ParamKind, parseParam } from '../format';
import { IParametersReply, ParamValue } from '../types';

export interface IRerunFormProps {
  schema: IParametersReply;
  /** The run's recorded parameter values (they prefill the form). */
  recorded: { [key: string]: ParamValue };
  onSubmit: (parameters: { [key: string]: ParamValue }) => void;
  onCancel: () => void;
}

function kindOf(type: string): ParamKind {
  return type === 'int' || type === 'float' || type === 'bool' || type === 'str' ? type : 'json';
}

function toText(kind: ParamKind, value: ParamValue | undefined): string | boolean {
  if (kind === 'bool') {
    return Boolean(value);
  }
  if (kind === 'json') {
    return JSON.stringify(value ?? null);
  }
  return value === null || value === undefined ? '' : formatValue(value);
}

export function RerunForm(props: IRerunFormProps): JSX.Element {
  const specs = props.schema.parameters;
  const fromNotebook = props.schema.source === 'notebook';
  const initial = (name: string, fallback: ParamValue) => (name in props.recorded ? props.recorded[name] : fallback);
  const [values, setValues] = React.useState<{ [key: string]: string | boolean }>(() =>
    Object.fromEntries(specs.map(s => [s.name, toText(kindOf(s.type), initial(s.name, s.default))]))
  );
  const [error, setError] = React.useState<string | null>(null);

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    try {
      const parameters: { [key: string]: ParamValue } = {};
      for (const s of specs) {
        const value = parseParam(kindOf(s.type), values[s.name], s.name);
        // From the notebook's schema, send every value that differs from the notebook's default
        // (the run may have been made with injected values); from recorded params, only edits.
        const baseline = fromNotebook ? s.default : initial(s.name, s.default);
        if (JSON.stringify(value) !== JSON.stringify(baseline)) {
          parameters[s.name] = value;
        }
      }
      setError(null);
      props.onSubmit(parameters);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <form className="jp-mlops-RerunForm" onSubmit={submit}>
      <div className="jp-mlops-muted">
        {fromNotebook
          ? `Parameters of ${props.schema.notebook_path} (its parameters cell)`
          : 'Parameters as recorded by this run'}
      </div>
      {specs.length === 0 && <div className="jp-mlops-muted">No parameters.</div>}
      {specs.map(s => {
        const kind = kindOf(s.type);
        return (
          <label key={s.name} className="jp-mlops-RerunForm-row" title={s.help}>
            <span className="jp-mlops-RerunForm-name">{s.name}</span>
            <span className="jp-mlops-muted">{s.type}</span>
            {kind === 'bool' ? (
              <input
                type="checkbox"
                name={s.name}
                checked={Boolean(values[s.name])}
                onChange={e => setValues({ ...values, [s.name]: e.target.checked })}
              />
            ) : (
              <input
                className="jp-mod-styled"
                name={s.name}
                type={kind === 'int' || kind === 'float' ? 'number' : 'text'}
                step={kind === 'float' ? 'any' : kind === 'int' ? 1 : undefined}
                value={String(values[s.name])}
                placeholder={s.help}
                onChange={e => setValues({ ...values, [s.name]: e.target.value })}
              />
            )}
          </label>
        );
      })}
      {error && <div className="jp-mlops-error">{error}</div>}
      <div className="jp-mlops-RerunForm-buttons">
        <button type="submit" className="jp-mod-styled jp-mod-accept">
          Run
        </button>
        <button type="button" className="jp-mod-styled" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
