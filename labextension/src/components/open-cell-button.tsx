/** "Open at cell": opens the run's notebook in JupyterLab with the cell it was recorded from
 * selected and scrolled into view (by cell id, else execution count, else source: open-cell.ts). */
import * as React from 'react';

import { errorMessage } from '../errors';
import { useServices } from '../hooks';
import { cellTargetOf } from '../open-cell';
import { IRunDetail } from '../types';

export function OpenCellButton(props: { run: IRunDetail }): JSX.Element | null {
  const { openCell } = useServices();
  const [note, setNote] = React.useState<string | null>(null);
  const path = props.run.notebook_path;
  const target = cellTargetOf(props.run);
  if (!openCell || !path || !target) {
    return null;
  }
  const open = async () => {
    try {
      const found = await openCell(path, target);
      setNote(found ? null : `the cell this run came from is no longer in ${path}: opened it at the top`);
    } catch (err) {
      setNote(`could not open ${path}: ${errorMessage(err)}`);
    }
  };
  return (
    <span className="jp-mlops-OpenCell">
      <button
        className="jp-mlops-button jp-mlops-OpenCellButton"
        onClick={() => void open()}
        title={`Open ${path} and select the cell this run was recorded from`}
      >
        Open notebook at this cell
      </button>
      {note && <span className="jp-mlops-muted jp-mlops-OpenCellNote">{note}</span>}
    </span>
  );
}
