/** Lumino widgets: the Runs sidebar, and the run-detail / compare main-area contents. */
import * as React from 'react';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';

import { ApiError, MlopsClient } from './api';
import { CompareView } from './components/compare-view';
import { ModelsView } from './components/models-view';
import { RunDetail } from './components/run-detail';
import { RunsView } from './components/runs-view';
import { ServerMissing } from './components/server-missing';
import { IPanelServices, ServicesContext } from './hooks';
import type { ICellTarget } from './open-cell';
import { JobBoard } from './job-board';
import { ICapabilities } from './types';
import type { IViewStateStore } from './view-state';

export interface INavigation {
  openRun: (runId: string, name: string) => void;
  openCompare: (runIds: string[]) => void;
  openPath: (path: string) => void;
  /** Open a notebook and select the run's cell (resolves false when the cell is not found). */
  openCell?: (path: string, target: ICellTarget) => Promise<boolean>;
  openFolder?: (path: string) => void;
}

/** State shared by every mlops-jupyter view: client, capabilities (from the probe), change counter. */
export class PanelModel {
  capabilities: ICapabilities | null = null;
  probeError: ApiError | null = null;
  changeCount = 0;
  /** Whether the sidebar panel is showing; lists load on first show and poll only while shown. */
  visible = false;
  everShown = false;
  readonly ready: Promise<ICapabilities | null>;
  /** Conversions (and other jobs started outside a run page) the sidebar shows as job lines. */
  readonly jobBoard = new JobBoard();

  constructor(
    readonly client: MlopsClient,
    readonly navigation: INavigation,
    readonly viewState: IViewStateStore | null = null
  ) {
    this.ready = this.probe();
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Ask the server what it supports; a 404 means the server extension is not enabled. */
  async probe(): Promise<ICapabilities | null> {
    try {
      this.capabilities = await this.client.getCapabilities();
      this.probeError = null;
    } catch (err) {
      this.probeError = err instanceof ApiError ? err : new ApiError(0, String(err));
      console.warn('mlops-jupyter: server probe failed', this.probeError.status, this.probeError.message);
    }
    this._changed.emit();
    return this.capabilities;
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    this.everShown = this.everShown || visible;
    this._changed.emit();
  }

  notifyChanged(): void {
    this.changeCount += 1;
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
}

function Provider(props: { model: PanelModel; children: (model: PanelModel) => React.ReactNode }): JSX.Element {
  const { model } = props;
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    const onChange = () => setTick(t => t + 1);
    model.changed.connect(onChange);
    return () => {
      model.changed.disconnect(onChange);
    };
  }, [model]);
  const services: IPanelServices = {
    client: model.client,
    capabilities: model.capabilities,
    ...model.navigation,
    notifyChanged: () => model.notifyChanged(),
    changeCount: model.changeCount,
    visible: model.visible,
    viewState: model.viewState,
    jobBoard: model.jobBoard
  };
  return <ServicesContext.Provider value={services}>{props.children(model)}</ServicesContext.Provider>;
}

/** The left-sidebar Runs panel. */
export class RunsPanel extends ReactWidget {
  constructor(readonly model: PanelModel) {
    super();
    this.addClass('jp-mlops-RunsPanel');
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.setVisible(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.setVisible(false);
  }

  render(): JSX.Element {
    return (
      <Provider model={this.model}>
        {model =>
          model.probeError ? (
            <ServerMissing
              status={model.probeError.status}
              message={model.probeError.message}
              onRetry={() => void model.probe()}
            />
          ) : model.capabilities && model.everShown ? (
            <RunsView />
          ) : (
            <div className="jp-mlops-muted">connecting…</div>
          )
        }
      </Provider>
    );
  }
}

/** Main-area content for one run. */
export class RunDetailWidget extends ReactWidget {
  constructor(
    readonly model: PanelModel,
    readonly runId: string,
    private _onDeleted: () => void
  ) {
    super();
    this.addClass('jp-mlops-MainView');
  }

  render(): JSX.Element {
    return <Provider model={this.model}>{() => <RunDetail runId={this.runId} onDeleted={this._onDeleted} />}</Provider>;
  }
}

/** Main-area content comparing several runs. */
export class CompareWidget extends ReactWidget {
  constructor(
    readonly model: PanelModel,
    readonly runIds: string[]
  ) {
    super();
    this.addClass('jp-mlops-MainView');
  }

  render(): JSX.Element {
    return <Provider model={this.model}>{() => <CompareView runIds={this.runIds} />}</Provider>;
  }
}

/** Main-area content: the registered models (the Models view). */
export class ModelsWidget extends ReactWidget {
  constructor(readonly model: PanelModel) {
    super();
    this.addClass('jp-mlops-MainView');
  }

  render(): JSX.Element {
    return <Provider model={this.model}>{() => <ModelsView />}</Provider>;
  }
}
