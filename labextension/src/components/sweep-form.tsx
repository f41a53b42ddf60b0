/**
 * Sweep a run's notebook over a grid: per parameter of its schema a comma list of values (typed
 * as the schema says), the number of points shown as it is typed, submitted as a sweep job.
 */
import * as React from 'react';

import { formatValue, ParamKind } from '../format';
import { useAsyncEffect, useServices } from '../hooks';
import { IParameterSpec, IParametersReply, IRunDetail, ParamValue } from '../types';

type Values = { [key: string]: ParamValue };

function kindOf(type: string): ParamKind {
  return type === 'int' || type === 'float' || type === 'bool' || type === 'str' ? type : 'json';
}

function parseOne(kind: ParamKind, text: string, name: string): ParamValue {
  if (kind === 'int') {
    if (!/^[-+]?\d+$/.test(text)) {
      throw new Error(`${name}: "${text}" is not an integer (${name} is an int)`);
    }
    return parseInt(text, 10);
  }
  if (kind === 'float') {
    const v = Number(text);
    if (Number.isNaN(v) || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text)) {
      throw new Error(`${name}: "${text}" is not a number (${name} is a float)`);
    }
    return v;
  }
  if (kind === 'bool') {
    const t = text.toLowerCase();
    if (t !== 'true' && t !== 'false') {
      throw new Error(`${name}: "${text}" is not true or false (${name} is a bool)`);
    }
    return t === 'true';
  }
  return text;
}

/** One parameter's values from its text: a comma list (json parameters: a JSON list of values). */
export function parseValues(spec: IParameterSpec, raw: string): ParamValue[] {
  const kind = kindOf(spec.type);
  const text = raw.trim();
  if (text === '') {
    throw new Error(`${spec.name}: give at least one value`);
  }
  if (kind === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${spec.name}: not valid JSON; give a JSON list of values, e.g. [[1, 2], [3]]`);
    }
    return Array.isArray(parsed) ? (parsed as ParamValue[]) : [parsed as ParamValue];
  }
  return text.split(',').map((item, i) => {
    const t = item.trim();
    if (t === '') {
      throw new Error(`${spec.name}: value ${i + 1} of the list is empty`);
    }
    return parseOne(kind, t, spec.name);
  });
}

/** Every combination of the values (the grid), in the order the parameters are listed. */
export function gridPoints(names: string[], values: ParamValue[][]): Values[] {
  let points: Values[] = [{}];
  names.forEach((name, i) => {
    points = points.flatMap(p => values[i].map(v => ({ ...p, [name]: v })));
  });
  return points;
}

/** The grid the texts describe, or the readable reasons it is not one. */
export function sweepGrid(
  specs: IParameterSpec[],
  texts: { [name: string]: string }
): { points: Values[] } | { errors: string[] } {
  const errors: string[] = [];
  const values = specs.map(s => {
    try {
      return parseValues(s, texts[s.name] ?? '');
    } catch (err) {
      errors.push((err as Error).message);
      return [];
    }
  });
  if (errors.length > 0) {
    return { errors };
  }
  return {
    points: gridPoints(
      specs.map(s => s.name),
      values
    )
  };
}

function initialText(spec: IParameterSpec, recorded: Values): string {
  const value = spec.name in recorded ? recorded[spec.name] : spec.default;
  if (kindOf(spec.type) === 'json') {
    return JSON.stringify([value ?? null]);
  }
  return value === null || value === undefined ? '' : formatValue(value);
}

export interface ISweepFormProps {
  schema: IParametersReply;
  recorded: Values;
  onSubmit: (notebookPath: string, points: Values[]) => void;
  onCancel: () => void;
}

export function SweepForm(props: ISweepFormProps): JSX.Element {
  const specs = props.schema.parameters;
  const path = props.schema.notebook_path;
  const [texts, setTexts] = React.useState<{ [name: string]: string }>(() =>
    Object.fromEntries(specs.map(s => [s.name, initialText(s, props.recorded)]))
  );
  const grid = sweepGrid(specs, texts);
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if ('points' in grid && path) {
      props.onSubmit(path, grid.points);
    }
  };
  return (
    <form className="jp-mlops-SweepForm" onSubmit={submit} aria-label="Sweep form">
      <div className="jp-mlops-muted">
        {path
          ? `Sweep ${path}: per parameter, a comma list of values`
          : "This run's notebook is not inside the server root: there is nothing to sweep."}
      </div>
      {specs.map(s => (
        <label key={s.name} className="jp-mlops-RerunForm-row" title={s.help}>
          <span className="jp-mlops-RerunForm-name">{s.name}</span>
          <span className="jp-mlops-muted">{s.type}</span>
          <input
            className="jp-mod-styled"
            name={s.name}
            value={texts[s.name]}
            placeholder={kindOf(s.type) === 'json' ? 'a JSON list of values' : 'values, comma separated'}
            onChange={e => setTexts({ ...texts, [s.name]: e.target.value })}
          />
        </label>
      ))}
      {'errors' in grid ? (
        grid.errors.map(e => (
          <div key={e} className="jp-mlops-error jp-mlops-SweepForm-error">
            {e}
          </div>
        ))
      ) : (
        <div className="jp-mlops-SweepForm-count">
          {grid.points.length} point{grid.points.length === 1 ? '' : 's'}
        </div>
      )}
      <div className="jp-mlops-RerunForm-buttons">
        <button type="submit" className="jp-mod-styled jp-mod-accept" disabled={'errors' in grid || !path}>
          Start sweep
        </button>
        <button type="button" className="jp-mod-styled" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The form, once the run's parameters schema arrived. */
export function SweepLoader(props: {
  run: IRunDetail;
  onSubmit: (notebookPath: string, points: Values[]) => void;
  onCancel: () => void;
}): JSX.Element {
  const { client } = useServices();
  const runId = props.run.run_id;
  const schema = useAsyncEffect(() => client.getParameters(runId), [client, runId]);
  if (schema.error) {
    return <div className="jp-mlops-error">{schema.error}</div>;
  }
  return schema.data ? (
    <SweepForm schema={schema.data} recorded={props.run.params} onSubmit={props.onSubmit} onCancel={props.onCancel} />
  ) : (
    <div className="jp-mlops-muted">loading parameters…</div>
  );
}
