/** Plugin wiring: the Runs sidebar, run-detail and compare tabs, commands, notebook toolbar buttons. */
import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, MainAreaWidget, Notification, ToolbarButton } from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { Widget } from '@lumino/widgets';

import { MlopsClient } from './api';
import { CompareWidget, PanelModel, RunDetailWidget, RunsPanel } from './panel';
import { CommandIDs, PANEL_ID, PLUGIN_ID } from './tokens';

const runsIcon = new LabIcon({
  name: 'mlops-jupyter:runs',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<path class="jp-icon3" fill="#616161" d="M3 3h2v16h16v2H3zM7 15l4-5 3 3 5-7 1.6 1.2-6.4 8.9-3-3-2.7 3.4z"/></svg>'
});

const category = 'MLOps';

function activate(
  app: JupyterFrontEnd,
  palette: ICommandPalette | null,
  tracker: INotebookTracker | null,
  labShell: ILabShell | null
): void {
  const client = new MlopsClient();
  const open = new Map<string, MainAreaWidget>();

  // JupyterLab: main-area tabs. Notebook 7 (no ILabShell) shows one document in its main area,
  // so run detail and compare open in a large dialog over the page instead.
  const inDialog = (title: string, content: Widget, onClose?: (d: Dialog<unknown>) => void) => {
    const dialog = new Dialog({ title, body: content, buttons: [Dialog.okButton({ label: 'Close' })] });
    dialog.addClass('jp-mlops-Dialog');
    onClose?.(dialog);
    void dialog.launch();
  };

  const show = (key: string, make: () => MainAreaWidget) => {
    let widget = open.get(key);
    if (!widget || widget.isDisposed) {
      widget = make();
      open.set(key, widget);
      app.shell.add(widget, 'main');
    }
    app.shell.activateById(widget.id);
  };

  const model: PanelModel = new PanelModel(client, {
    openRun: (runId, name) => void app.commands.execute(CommandIDs.openRun, { run_id: runId, name }),
    openCompare: runIds => void app.commands.execute(CommandIDs.compare, { run_ids: runIds }),
    openPath: path => void app.commands.execute('docmanager:open', { path })
  });

  const panel = new RunsPanel(model);
  panel.id = PANEL_ID;
  panel.title.icon = runsIcon;
  panel.title.caption = 'Experiment runs';
  app.shell.add(panel, 'left', { rank: 600 });

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
      const title = `Run: ${String(args.name ?? runId.slice(0, 8))}`;
      if (!labShell) {
        let dialog: Dialog<unknown> | null = null;
        inDialog(title, new RunDetailWidget(model, runId, () => dialog?.reject()), d => (dialog = d));
        return;
      }
      show(`run:${runId}`, () => {
        const content = new RunDetailWidget(model, runId, () => open.get(`run:${runId}`)?.dispose());
        const widget = new MainAreaWidget({ content });
        widget.id = `mlops-jupyter-run-${runId}`;
        widget.title.label = title;
        widget.title.icon = runsIcon;
        widget.title.closable = true;
        return widget;
      });
    }
  });
  app.commands.addCommand(CommandIDs.compare, {
    label: 'Compare Runs',
    execute: args => {
      const runIds = (args.run_ids as string[]) ?? [];
      const key = `compare:${runIds.join(',')}`;
      if (!labShell) {
        inDialog(`Compare ${runIds.length} runs`, new CompareWidget(model, runIds));
        return;
      }
      show(key, () => {
        const widget = new MainAreaWidget({ content: new CompareWidget(model, runIds) });
        widget.id = `mlops-jupyter-compare-${Date.now()}`;
        widget.title.label = `Compare ${runIds.length} runs`;
        widget.title.icon = runsIcon;
        widget.title.closable = true;
        return widget;
      });
    }
  });

  const currentPath = () => tracker?.currentWidget?.context.path ?? null;
  const action = (kind: 'export_script' | 'convert') => async () => {
    const path = currentPath();
    if (!path) {
      Notification.warning('Open a notebook first.');
      return;
    }
    const label = kind === 'export_script' ? 'Export' : 'Conversion';
    try {
      await tracker?.currentWidget?.context.save();
      const reply = kind === 'export_script' ? await client.exportScript(path) : await client.convertNotebook(path);
      Notification.success(`${label} of ${path} written to ${reply.output_path}`, { autoClose: 5000 });
      if (kind === 'export_script' && reply.output_path) {
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

  if (palette) {
    palette.addItem({ command: CommandIDs.openRuns, category });
    palette.addItem({ command: CommandIDs.refresh, category });
  }
  void model.ready.then(caps => {
    if (!caps) {
      return;
    }
    if (palette && caps.actions.export_script) {
      palette.addItem({ command: CommandIDs.exportScript, category });
    }
    if (palette && caps.actions.convert) {
      palette.addItem({ command: CommandIDs.convertNotebook, category });
    }
  });

  // Notebook toolbar buttons, only for the actions this server supports.
  app.docRegistry.addWidgetExtension('Notebook', {
    createNew(nb: NotebookPanel, _context: DocumentRegistry.IContext<INotebookModel>): IDisposable {
      const buttons: ToolbarButton[] = [];
      void model.ready.then(caps => {
        if (nb.isDisposed || !caps) {
          return;
        }
        if (caps.actions.export_script) {
          const button = new ToolbarButton({
            className: 'jp-mlops-ExportScriptButton',
            label: 'Script',
            tooltip: 'Export notebook as script',
            onClick: () => void app.commands.execute(CommandIDs.exportScript)
          });
          nb.toolbar.insertItem(10, 'mlops-export-script', button);
          buttons.push(button);
        }
        if (caps.actions.convert) {
          const button = new ToolbarButton({
            className: 'jp-mlops-ConvertButton',
            label: 'Pipeline',
            tooltip: 'Convert notebook to pipeline',
            onClick: () => void app.commands.execute(CommandIDs.convertNotebook)
          });
          nb.toolbar.insertItem(11, 'mlops-convert', button);
          buttons.push(button);
        }
      });
      return new DisposableDelegate(() => buttons.forEach(b => b.dispose()));
    }
  });

  console.log('mlops-jupyter: Runs panel activated');
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Experiment runs: list, detail, compare, re-run, export (mlops-jupyter)',
  autoStart: true,
  optional: [ICommandPalette, INotebookTracker, ILabShell],
  activate
};

export default plugin;
