/** A checklist of the param and metric keys seen in the runs, to choose the list's extra columns. */
import * as React from 'react';

export interface IColumnPickerProps {
  paramKeys: string[];
  metricKeys: string[];
  chosen: ReadonlySet<string>;
  onToggle: (columnId: string) => void;
  onClose: () => void;
}

export function ColumnPicker(props: IColumnPickerProps): JSX.Element {
  const item = (id: string, label: string) => (
    <label key={id} className="jp-mlops-ColumnPicker-item">
      <input type="checkbox" checked={props.chosen.has(id)} onChange={() => props.onToggle(id)} />
      {label}
    </label>
  );
  return (
    <div className="jp-mlops-ColumnPicker">
      <div className="jp-mlops-ColumnPicker-group">Parameters</div>
      {props.paramKeys.length === 0 && <div className="jp-mlops-muted">none yet</div>}
      {props.paramKeys.map(k => item(`params.${k}`, k))}
      <div className="jp-mlops-ColumnPicker-group">Metrics</div>
      {props.metricKeys.length === 0 && <div className="jp-mlops-muted">none yet</div>}
      {props.metricKeys.map(k => item(`metrics.${k}`, k))}
      <button className="jp-mod-styled" onClick={props.onClose}>
        Done
      </button>
    </div>
  );
}
