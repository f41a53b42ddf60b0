/** Why a run cannot be reproduced (null when it can), the same rule as the server's execution/reproduce_cells.py. */
import { IRunDetail } from '../types';

const NOTEBOOKS = ['source.ipynb', 'executed.ipynb'];

export function reproduceBlocker(run: Pick<IRunDetail, 'artifacts' | 'parent_run_id' | 'provenance'>): string | null {
  if (run.artifacts.some(a => NOTEBOOKS.includes(a.name)) || run.parent_run_id) {
    return null;
  }
  const cell = run.provenance?.cell;
  if (cell && cell.source !== undefined && cell.source !== null) {
    return 'lineage' in cell
      ? null
      : 'This %%track run was recorded before its lineage was, so the cells its inputs came from are unknown: re-run the cell.';
  }
  return 'This run has no recorded notebook or cell: only runs made by run/sweep or by a %%track cell can be reproduced.';
}
