/** Plugin wiring: the Runs sidebar, run-detail and compare views, commands, notebook toolbar buttons. */
import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, MainAreaWidget, Notification, ToolbarButton } from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IStateDB } from '@jupyterlab/statedb';
import { LabIcon } from '@jupyterlab/ui-components';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { Widget } from '@lumino/widgets';

import { MlopsClient } from './api';
import { openNotebookAtCell } from './open-cell';
import { CompareWidget, ModelsWidget, PanelModel, RunDetailWidget, RunsPanel } from './panel';
import { CommandIDs, PANEL_ID, PLUGIN_ID } from './tokens';

const runsIcon = new LabIcon({
  name: 'mlops-jupyter:runs',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<path class="jp-icon3" fill="#616161" d="M3 3h2v16h16v2H3zM7 15l4-5 3 3 5-7 1.6 1.2-6.4 8.9-3-3-2.7 3.4z"/></svg>'
});

const category = 'MLOps';

/** The notebook-level actions (each shown only when the server has its API). */
type NotebookAction = 'export_script' | 'convert';

/**
 * Where run detail and compare views open. JupyterLab: main-area tabs (one per run / selection).
 * Notebook 7 (no ILabShell) shows one document in its main area, so they open in a large dialog.
 */
function makeViewOpener(app: JupyterFrontEnd, labShell: ILabShell | null) {
  const open = new Map<string, MainAreaWidget>();
  return (key: string, title: string, content: Widget): (() => void) => {
    if (!labShell) {
      const dialog = new Dialog({ title, body: content, buttons: [Dialog.okButton({ label: 'Close' })] });
      dialog.addClass('jp-mlops-Dialog');
      void dialog.launch();
      return () => dialog.reject();
    }
    let widget = open.get(key);
    if (!widget || widget.isDisposed) {
      widget = new MainAreaWidget({ content });
      widget.id = `mlops-jupyter-${key.replace(/[^\w-]/g, '-')}`;
      widget.title.label = title;
      widget.title.icon = runsIcon;
      widget.title.closable = true;
      open.set(key, widget);
      app.shell.add(widget, 'main');
    } else {
      content.dispose();
    }
    app.shell.activateById(widget.id);
    const opened = widget;
    return () => opened.dispose();
  };
}

function addRunCommands(app: JupyterFrontEnd, model: PanelModel, labShell: ILabShell | null): void {
  const openView = makeViewOpener(app, labShell);
  app.commands.addCommand(CommandIDs.openRuns, {
    label: 'Show Experiment Runs',
    execute: () => app.shell.activateById(PANEL_ID)
  });
  app.commands.addCommand(CommandIDs.refresh, {
    label: 'Refresh Experiment Runs',
    execute: async () => {
      await model.probe();
      model.notifyChanged();
    }
  });
  app.commands.addCommand(CommandIDs.openRun, {
    label: 'Open Run',
    execute: args => {
      const runId = String(args.run_id);
      let close = () => {};
      const content = new RunDetailWidget(model, runId, () => close());
      close = openView(`run-${runId}`, `${runId.slice(0, 8)} ${String(args.name ?? '')}`.trim(), content);
    }
  });
  app.commands.addCommand(CommandIDs.openModels, {
    label: 'Show Registered Models',
    execute: () => void openView('models', 'Models', new ModelsWidget(model))
  });
  app.commands.addCommand(CommandIDs.compare, {
    label: 'Compare Runs',
    execute: args => {
      const runIds = (args.run_ids as string[]) ?? [];
      openView(`compare-${runIds.join('-')}`, `Compare ${runIds.length} runs`, new CompareWidget(model, runIds));
    }
  });
}

function addNotebookActions(
  app: JupyterFrontEnd,
  model: PanelModel,
  tracker: INotebookTracker | null,
  palette: ICommandPalette | null
): void {
  const currentPath = () => tracker?.currentWidget?.context.path ?? null;
  const action = (kind: NotebookAction) => async () => {
    const path = currentPath();
    if (!path) {
      Notification.warning('Open a notebook first.');
      return;
    }
    const label = kind === 'export_script' ? 'Export' : 'Conversion';
    try {
      await tracker?.currentWidget?.context.save();
      if (kind === 'convert') {
        // a background job: its line (cell k of n, then the tests, then the folder) is in the panel
        model.jobBoard.add(await model.client.convertNotebook(path));
        app.shell.activateById(PANEL_ID);
        Notification.info(`Converting ${path}: follow it in the Runs panel`, { autoClose: 3000 });
        return;
      }
      const reply = await model.client.exportScript(path);
      Notification.success(`${label} of ${path} written to ${reply.output_path}`, { autoClose: 5000 });
      if (reply.output_path) {
        void app.commands.execute('docmanager:open', { path: reply.output_path });
      }
    } catch (err) {
      Notification.error(`${label} of ${path} failed: ${(err as Error).message}`, { autoClose: false });
    }
  };
  app.commands.addCommand(CommandIDs.exportScript, {
    label: 'Export Notebook as Script',
    caption: 'Write the notebook as a runnable Python script (main() + argparse CLI)',
    isEnabled: () => !!model.capabilities?.actions.export_script && !!currentPath(),
    execute: action('export_script')
  });
  app.commands.addCommand(CommandIDs.convertNotebook, {
    label: 'Convert Notebook to Pipeline',
    caption: 'Turn the notebook into a package of step functions, tests and a pipeline',
    isEnabled: () => !!model.capabilities?.actions.convert && !!currentPath(),
    execute: action('convert')
  });

  // Palette entries and toolbar buttons only for the actions this server supports (never faked).
  const buttons: [NotebookAction, string, string, string, string][] = [
    ['export_script', CommandIDs.exportScript, 'jp-mlops-ExportScriptButton', 'Script', 'Export notebook as script'],
    ['convert', CommandIDs.convertNotebook, 'jp-mlops-ConvertButton', 'Pipeline', 'Convert notebook to pipeline']
  ];
  void model.ready.then(caps => {
    buttons.filter(([kind]) => caps?.actions[kind]).forEach(([, command]) => palette?.addItem({ command, category }));
  });
  app.docRegistry.addWidgetExtension('Notebook', {
    createNew(nb: NotebookPanel, _context: DocumentRegistry.IContext<INotebookModel>): IDisposable {
      const added: ToolbarButton[] = [];
      void model.ready.then(caps => {
        buttons.forEach(([kind, command, className, label, tooltip], i) => {
          if (nb.isDisposed || !caps?.actions[kind]) {
            return;
          }
          const button = new ToolbarButton({
            className,
            label,
            tooltip,
            onClick: () => void app.commands.execute(command)
          });
          nb.toolbar.insertItem(10 + i, `mlops-${kind}`, button);
          added.push(button);
        });
      });
      return new DisposableDelegate(() => added.forEach(b => b.dispose()));
    }
  });
}

function activate(
  app: JupyterFrontEnd,
  palette: ICommandPalette | null,
  tracker: INotebookTracker | null,
  labShell: ILabShell | null,
  state: IStateDB | null
): void {
  const model = new PanelModel(
    new MlopsClient(),
    {
      openRun: (runId, name) => void app.commands.execute(CommandIDs.openRun, { run_id: runId, name }),
      openCompare: runIds => void app.commands.execute(CommandIDs.compare, { run_ids: runIds }),
      openPath: path => void app.commands.execute('docmanager:open', { path }),
      // Notebook 7 opens documents in another browser tab, where this page cannot select a cell
      openCell: labShell ? (path, target) => openNotebookAtCell(app, path, target) : undefined,
      openFolder: path => void app.commands.execute('filebrowser:go-to-path', { path })
    },
    state
  );
  const panel = new RunsPanel(model);
  panel.id = PANEL_ID;
  panel.title.icon = runsIcon;
  panel.title.caption = 'Experiment runs';
  app.shell.add(panel, 'left', { rank: 600 });

  addRunCommands(app, model, labShell);
  addNotebookActions(app, model, tracker, palette);
  palette?.addItem({ command: CommandIDs.openRuns, category });
  palette?.addItem({ command: CommandIDs.refresh, category });
  palette?.addItem({ command: CommandIDs.openModels, category });
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Experiment runs: list, detail, compare, re-run, export (mlops-jupyter)',
  autoStart: true,
  optional: [ICommandPalette, INotebookTracker, ILabShell, IStateDB],
  activate
};

export default plugin;
