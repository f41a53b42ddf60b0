/** Plugin ids, command ids and the REST namespace of mlops-jupyter (this module owns these names). */

export const NAMESPACE = 'mlops-jupyter';
export const PLUGIN_ID = 'mlops-jupyter:plugin';
export const PANEL_ID = 'mlops-jupyter-runs';

export namespace CommandIDs {
  export const openRuns = 'mlops-jupyter:open-runs';
  export const refresh = 'mlops-jupyter:refresh-runs';
  export const openRun = 'mlops-jupyter:open-run';
  export const compare = 'mlops-jupyter:compare-runs';
  export const exportScript = 'mlops-jupyter:export-script';
  export const convertNotebook = 'mlops-jupyter:convert-notebook';
  export const openModels = 'mlops-jupyter:open-models';
}

/** How often the panel polls for new and changed runs (ms). */
export const POLL_INTERVAL = 2500;
/** How often a running background job (re-run, reproduce, sweep) is polled (ms). */
export const JOB_POLL_INTERVAL = 1000;
