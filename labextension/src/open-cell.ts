/**
 * "Open the notebook at this cell": which cell of the notebook a run was recorded from (its
 * cell id, else its execution count, else its source), and opening the notebook there.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { NotebookPanel } from '@jupyterlab/notebook';

import { IRunDetail } from './types';

/** What the run recorded about its cell. */
export interface ICellTarget {
  cellId: string | null;
  executionCount: number | null;
  source: string | null;
}

/** A notebook cell as the matcher sees it. */
export interface ICellInfo {
  id: string;
  executionCount: number | null;
  source: string;
}

/** The run's cell, or null when it recorded none (a script or a papermill run). */
export function cellTargetOf(run: IRunDetail): ICellTarget | null {
  const cell = run.provenance?.cell ?? {};
  const cellId = run.cell_id ?? (typeof cell.cell_id === 'string' ? cell.cell_id : null);
  const executionCount = typeof cell.execution_count === 'number' ? cell.execution_count : null;
  const source = typeof cell.source === 'string' && cell.source.trim() ? cell.source : null;
  return cellId || executionCount !== null || source ? { cellId, executionCount, source } : null;
}

/** A cell's code without its `%%track ...` magic line (the run records the body). */
function body(source: string): string {
  return source.replace(/^\s*%%track\b[^\n]*\n?/, '').trim();
}

/**
 * The index of the run's cell: by cell id; else by execution count when the cell there still
 * holds the recorded code (or no code was recorded); else the cell holding that code; else -1.
 */
export function findCellIndex(cells: ICellInfo[], target: ICellTarget): number {
  if (target.cellId) {
    const byId = cells.findIndex(c => c.id === target.cellId);
    if (byId >= 0) {
      return byId;
    }
  }
  const code = target.source ? body(target.source) : null;
  if (target.executionCount !== null) {
    const byCount = cells.findIndex(
      c => c.executionCount === target.executionCount && (code === null || body(c.source) === code)
    );
    if (byCount >= 0) {
      return byCount;
    }
  }
  if (code) {
    const exact = cells.findIndex(c => body(c.source) === code);
    return exact >= 0 ? exact : cells.findIndex(c => c.source.includes(code));
  }
  return -1;
}

function cellsOf(panel: NotebookPanel): ICellInfo[] {
  return panel.content.widgets.map(cell => {
    const count = (cell.model as { executionCount?: number | null }).executionCount;
    return { id: cell.model.id, executionCount: count ?? null, source: cell.model.sharedModel.getSource() };
  });
}

/**
 * Open `path` in JupyterLab and select (and scroll to) the run's cell. Resolves to whether the
 * cell was found; the notebook opens either way.
 */
export async function openNotebookAtCell(app: JupyterFrontEnd, path: string, target: ICellTarget): Promise<boolean> {
  const panel = (await app.commands.execute('docmanager:open', { path })) as NotebookPanel | undefined;
  if (!panel || !panel.content || !panel.context) {
    return false;
  }
  await panel.context.ready;
  await panel.revealed;
  const index = findCellIndex(cellsOf(panel), target);
  if (index < 0) {
    return false;
  }
  const notebook = panel.content;
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  await notebook.scrollToCell(notebook.widgets[index], 'center');
  return true;
}
