/**
 * The REST client for /mlops-jupyter/: one method per endpoint, one request function, typed errors.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  ICapabilities,
  ICompareReply,
  IImportanceReply,
  IDiffReply,
  IDriftReport,
  IJob,
  IKeysReply,
  IMetricsReply,
  IModelDetail,
  IRegisteredModel,
  IRunModel,
  IOutputReply,
  IParametersReply,
  IRunDetail,
  IRunsPage,
  IRunsQuery,
  ITablePreview,
  ITrashPage,
  ParamValue
} from './types';
import { NAMESPACE } from './tokens';
import { ApiError } from './errors';

export { ApiError };

type Query = { [key: string]: string | number | undefined | null };

export class MlopsClient {
  constructor(readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()) {}

  getCapabilities(): Promise<ICapabilities> {
    return this._json<ICapabilities>('capabilities');
  }

  listRuns(query: IRunsQuery): Promise<IRunsPage> {
    return this._json<IRunsPage>('runs', { query: { ...query } });
  }

  /** The listed runs (same filter and sort) as a CSV file. */
  async runsCsv(filter: string, orderBy: string): Promise<Blob> {
    const response = await this._fetch('runs.csv', { query: { filter, order_by: orderBy } });
    return response.blob();
  }

  /** The param / metric / tag keys and experiment names in the store (the filter box's suggestions). */
  getKeys(): Promise<IKeysReply> {
    return this._json<IKeysReply>('keys');
  }

  listModels(): Promise<{ models: IRegisteredModel[] }> {
    return this._json<{ models: IRegisteredModel[] }>('models');
  }

  getModel(name: string): Promise<IModelDetail> {
    return this._json<IModelDetail>(`models/${encodeURIComponent(name)}`);
  }

  setModelAlias(name: string, alias: string, version: number, force = false): Promise<IModelDetail> {
    return this._json<IModelDetail>(`models/${encodeURIComponent(name)}/aliases`, {
      method: 'POST',
      body: { alias, version, force }
    });
  }

  runModels(runId: string): Promise<{ models: IRunModel[] }> {
    return this._json<{ models: IRunModel[] }>(`runs/${runId}/models`);
  }

  getRun(runId: string): Promise<IRunDetail> {
    return this._json<IRunDetail>(`runs/${runId}`);
  }

  /** Move a run to the trash (with `children`, every run below it too). */
  deleteRun(runId: string, children = false): Promise<void> {
    return this._json<void>(`runs/${runId}`, { method: 'DELETE', query: { children: children ? 1 : undefined } });
  }

  listTrash(query: IRunsQuery = {}): Promise<ITrashPage> {
    return this._json<ITrashPage>('trash', { query: { ...query } });
  }

  restoreRuns(runIds: string[]): Promise<{ restored: string[] }> {
    return this._json<{ restored: string[] }>('trash/restore', { method: 'POST', body: { run_ids: runIds } });
  }

  setTags(runId: string, tags: { [key: string]: string }): Promise<IRunDetail> {
    return this._json<IRunDetail>(`runs/${runId}/tags`, { method: 'POST', body: { tags } });
  }

  /** Replace the run's note (the `mlops.note` tag; "" removes it). */
  setNote(runId: string, note: string): Promise<IRunDetail> {
    return this._json<IRunDetail>(`runs/${runId}/note`, { method: 'POST', body: { note } });
  }

  /** Set and remove user tags in one transaction (a rename is both); `mlops.*` keys are refused. */
  editUserTags(runId: string, set: { [key: string]: string }, remove: string[] = []): Promise<IRunDetail> {
    return this._json<IRunDetail>(`runs/${runId}/user-tags`, { method: 'POST', body: { set, remove } });
  }

  /** A text artifact (stdout.txt, ...) as a string. */
  async getArtifactText(runId: string, sha256: string): Promise<string> {
    return (await this.getArtifactBlob(runId, sha256)).text();
  }

  getMetrics(runId: string, maxPoints?: number): Promise<IMetricsReply> {
    return this._json<IMetricsReply>(`runs/${runId}/metrics`, { query: { max_points: maxPoints } });
  }

  getParameters(runId: string): Promise<IParametersReply> {
    return this._json<IParametersReply>(`runs/${runId}/parameters`);
  }

  /** A random forest's parameter importance for `metric` over these runs (the server fits it). */
  getImportance(runIds: string[], metric: string): Promise<IImportanceReply> {
    return this._json<IImportanceReply>('importance', { query: { run_ids: runIds.join(','), metric } });
  }

  compareRuns(runIds: string[]): Promise<ICompareReply> {
    return this._json<ICompareReply>('compare', { query: { run_ids: runIds.join(',') } });
  }

  diffRuns(runA: string, runB: string): Promise<IDiffReply> {
    return this._json<IDiffReply>('diff', { query: { run_ids: `${runA},${runB}` } });
  }

  getDrift(runId: string, baseline: string): Promise<IDriftReport> {
    return this._json<IDriftReport>(`runs/${runId}/drift`, { query: { baseline } });
  }

  async getArtifactBlob(runId: string, sha256: string): Promise<Blob> {
    const response = await this._fetch(`runs/${runId}/artifacts/${sha256}`);
    return response.blob();
  }

  previewTable(runId: string, sha256: string): Promise<ITablePreview> {
    return this._json<ITablePreview>(`runs/${runId}/artifacts/${sha256}/preview`);
  }

  copyNotebookArtifact(runId: string, sha256: string): Promise<{ path: string }> {
    return this._json<{ path: string }>(`runs/${runId}/artifacts/${sha256}/copy`, { method: 'POST', body: {} });
  }

  rerunRun(runId: string, parameters: { [key: string]: ParamValue }): Promise<IJob> {
    return this._json<IJob>(`runs/${runId}/reruns`, { method: 'POST', body: { parameters } });
  }

  reproduceRun(runId: string): Promise<IJob> {
    return this._json<IJob>(`runs/${runId}/reproductions`, { method: 'POST', body: {} });
  }

  getJob(jobId: string): Promise<IJob> {
    return this._json<IJob>(`jobs/${jobId}`);
  }

  /** Stop a running background job: 200 with its record (status "cancelled"), 404 unknown, 409 ended. */
  cancelJob(jobId: string): Promise<IJob> {
    return this._json<IJob>(`jobs/${jobId}`, { method: 'DELETE' });
  }

  exportScript(notebookPath: string): Promise<IOutputReply> {
    return this._json<IOutputReply>('exports', { method: 'POST', body: { notebook_path: notebookPath } });
  }

  /** Convert a notebook into a package: a background job (its progress: cell k of n, then tests). */
  convertNotebook(notebookPath: string): Promise<IJob> {
    return this._json<IJob>('conversions', { method: 'POST', body: { notebook_path: notebookPath } });
  }

  /** Sweep a notebook over `points` (a background job); `originalRunId` is the run it started from. */
  sweepNotebook(notebookPath: string, points: { [key: string]: ParamValue }[], originalRunId?: string): Promise<IJob> {
    const body = { notebook_path: notebookPath, points, ...(originalRunId ? { original_run_id: originalRunId } : {}) };
    return this._json<IJob>('sweeps', { method: 'POST', body });
  }

  private async _json<T>(path: string, options: { method?: string; query?: Query; body?: unknown } = {}): Promise<T> {
    const response = await this._fetch(path, options);
    const text = await response.text();
    return (text.length > 0 ? JSON.parse(text) : undefined) as T;
  }

  private async _fetch(
    path: string,
    options: { method?: string; query?: Query; body?: unknown } = {}
  ): Promise<Response> {
    let url = URLExt.join(this.settings.baseUrl, NAMESPACE, path);
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== null && value !== '') {
        params.append(key, String(value));
      }
    }
    const qs = params.toString();
    if (qs) {
      url += `?${qs}`;
    }
    const init: RequestInit = { method: options.method ?? 'GET' };
    if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this.settings);
    } catch (error) {
      throw new ApiError(0, `cannot reach the Jupyter server: ${String(error)}`);
    }
    if (!response.ok) {
      let message = response.statusText;
      try {
        const data = (await response.json()) as { message?: string };
        message = data.message || message;
      } catch {
        // not JSON (e.g. a 404 page from a server without the extension)
      }
      throw new ApiError(response.status, message);
    }
    return response;
  }
}
