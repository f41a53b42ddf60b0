/** A two-column key / value table; every value is rendered as text. */
import * as React from 'react';

export interface IKeyValueTableProps {
  rows: [string, string][];
  className?: string;
  empty?: string;
}

export function KeyValueTable(props: IKeyValueTableProps): JSX.Element {
  if (props.rows.length === 0) {
    return <div className="jp-mlops-muted">{props.empty ?? 'none'}</div>;
  }
  return (
    <table className={`jp-mlops-KeyValueTable ${props.className ?? ''}`}>
      <tbody>
        {props.rows.map(([key, value]) => (
          <tr key={key}>
            <th>{key}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
