/** A checklist of the param and metric keys seen in the runs (the list's extra columns), and of the base columns to hide. */
import * as React from 'react';

export interface IColumnPickerProps {
  paramKeys: string[];
  metricKeys: string[];
  chosen: ReadonlySet<string>;
  onToggle: (columnId: string) => void;
  onClose: () => void;
  /** Base columns that can be hidden (status and name stay). */
  baseColumns?: { id: string; label: string }[];
  hidden?: ReadonlySet<string>;
  onToggleBase?: (columnId: string) => void;
  /** Back to the default columns, order and widths. */
  onReset?: () => void;
}

export function ColumnPicker(props: IColumnPickerProps): JSX.Element {
  const item = (id: string, label: string, checked: boolean, onChange: () => void) => (
    <label key={id} className="jp-mlops-ColumnPicker-item" data-column={id}>
      <input type="checkbox" checked={checked} onChange={onChange} />
      {label}
    </label>
  );
  return (
    <div className="jp-mlops-ColumnPicker">
      {props.baseColumns && (
        <>
          <div className="jp-mlops-ColumnPicker-group">Columns</div>
          {props.baseColumns.map(c => item(c.id, c.label, !props.hidden?.has(c.id), () => props.onToggleBase?.(c.id)))}
        </>
      )}
      <div className="jp-mlops-ColumnPicker-group">Parameters</div>
      {props.paramKeys.length === 0 && <div className="jp-mlops-muted">none yet</div>}
      {props.paramKeys.map(k =>
        item(`params.${k}`, k, props.chosen.has(`params.${k}`), () => props.onToggle(`params.${k}`))
      )}
      <div className="jp-mlops-ColumnPicker-group">Metrics</div>
      {props.metricKeys.length === 0 && <div className="jp-mlops-muted">none yet</div>}
      {props.metricKeys.map(k =>
        item(`metrics.${k}`, k, props.chosen.has(`metrics.${k}`), () => props.onToggle(`metrics.${k}`))
      )}
      <div className="jp-mlops-ColumnPicker-buttons">
        {props.onReset && (
          <button className="jp-mod-styled" onClick={props.onReset} title="Default columns, order and widths">
            Reset
          </button>
        )}
        <button className="jp-mod-styled" onClick={props.onClose}>
          Done
        </button>
      </div>
    </div>
  );
}
