/**
 * Wire types: the JSON the server's /mlops-jupyter/ routes send, field for field
 * (snake_case, mirroring mlops_jupyter/store records and server/payloads.py).
 */

export type RunStatus = 'running' | 'finished' | 'failed' | 'killed' | 'pruned';

export type ParamValue = string | number | boolean | null | ParamValue[] | { [key: string]: ParamValue };

export interface IArtifact {
  name: string;
  sha256: string;
  size: number;
  media_type: string;
  created?: number;
}

/** A run as listed: everything but provenance. */
export interface IRun {
  run_id: string;
  experiment: string;
  name: string;
  status: RunStatus;
  start_time: number | null;
  end_time: number | null;
  duration: number | null;
  parent_run_id: string | null;
  source_notebook: string | null;
  cell_id: string | null;
  updated_at: number | null;
  error: string | null;
  pid?: number | null;
  host?: string | null;
  heartbeat?: number | null;
  params: { [key: string]: ParamValue };
  metrics: { [key: string]: number | null };
  tags: { [key: string]: string };
  artifacts: IArtifact[];
}

export interface IProvenance {
  git?: {
    commit?: string;
    branch?: string;
    dirty?: boolean;
    remote?: string;
    [key: string]: unknown;
  };
  packages?: { [name: string]: string };
  cell?: {
    source?: string;
    hidden_state?: boolean;
    hidden_state_reason?: string;
    hidden_state_variable?: string | null;
    hidden_state_cell?: number | null;
    history?: { execution_count?: number; cell_id?: string | null; source_sha256?: string }[];
    lineage?: { execution_count?: number; source?: string }[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** One full run (GET /runs/{run_id}). */
export interface IRunDetail extends IRun {
  provenance: IProvenance;
  /** The source notebook relative to the server root, when it lies inside it. */
  notebook_path: string | null;
}

export interface IRunsPage {
  runs: IRun[];
  total: number;
  offset: number;
  limit: number;
  /** run id -> number of live child runs, for the parents on this page (GET /runs only) */
  child_counts?: { [run_id: string]: number };
}

/** A run in the trash (GET /trash). */
export interface ITrashedRun extends IRun {
  deleted_at: number | null;
}

export interface ITrashPage {
  runs: ITrashedRun[];
  total: number;
  offset: number;
  limit: number;
}

/** [step, value] */
export type MetricPoint = [number, number | null];

export interface IMetricSeries {
  key: string;
  points: MetricPoint[];
  total_points: number;
  downsampled: boolean;
}

export interface IMetricsReply {
  run_id: string;
  metrics: IMetricSeries[];
}

/** One compared field, as the server's one comparison rule judged it (tracking/compare.py). */
export interface ICompareField {
  family: 'run' | 'params' | 'metrics' | 'tags';
  key: string;
  /** one text per run, with enough digits to see why values differ */
  texts: string[];
  differs: boolean;
}

export interface ICompareReply {
  runs: IRunDetail[];
  param_keys: string[];
  differing_params: string[];
  fields: ICompareField[];
  metric_keys: string[];
  /** metric key -> run_id -> points */
  histories: { [key: string]: { [run_id: string]: MetricPoint[] } };
}

/** One difference between two runs (tracking/diff.py): what differs, in A and in B. */
export interface IDifference {
  kind: 'param' | 'metric' | 'code' | 'input' | 'package' | 'environment' | 'git' | 'seed' | 'hidden_state';
  key: string;
  a: unknown;
  b: unknown;
  /** metric: B minus A */
  delta?: number | null;
  /** code and git: a unified diff */
  diff?: string;
  /** input: what changed (hash, schema, rows, column statistics) */
  changes?: string[];
}

export interface IDiffReply {
  a: string;
  b: string;
  differences: IDifference[];
}

export interface ITablePreview {
  columns: string[];
  rows: unknown[][];
  total_rows: number;
  /** the DataFrame index's level names ("" when unnamed), shown as the first columns */
  index_columns: string[];
  /** one list of index values (one per level) for each row */
  index: unknown[][];
}

export interface IActions {
  rerun: boolean;
  reproduce: boolean;
  sweep: boolean;
  export_script: boolean;
  convert: boolean;
}

export interface ICapabilities {
  version: string;
  store_url: string | null;
  actions: IActions;
}

export type JobStatus = 'queued' | 'running' | 'cancelling' | 'finished' | 'failed' | 'cancelled';

/** The states of a job that has not ended yet (the server's jobs.py ENDED are the others). */
export const ACTIVE_JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'cancelling'];

export interface IJob {
  job_id: string;
  action: string;
  status: JobStatus;
  started: number;
  ended?: number;
  message: string | null;
  result: string | null;
  /** for a failed job: the HTTP status the same failure gets from a foreground call */
  http_status: number | null;
  /** how far the job is (its latest report), null before the first */
  progress: IJobProgress | null;
  /** what an ended job made: the new run, the run it started from, the folder it wrote */
  links: IJobLinks;
}

export interface IJobProgress {
  text: string;
  done: number | null;
  total: number | null;
}

export interface IJobLinks {
  run_id?: string;
  original_run_id?: string;
  output_path?: string;
}

export interface IOutputReply {
  output_path: string | null;
}

export interface IRunsQuery {
  filter?: string;
  order_by?: string;
  limit?: number;
  offset?: number;
  experiment?: string;
}

export interface IParameterSpec {
  name: string;
  /** 'int' | 'float' | 'bool' | 'str' | 'list' | 'dict' | 'json' */
  type: string;
  default: ParamValue;
  help: string;
}

/** GET /runs/{run_id}/parameters: the re-run form's fields. */
export interface IParametersReply {
  /** 'notebook': from the notebook's parameters cell; 'recorded': inferred from the run's params. */
  source: 'notebook' | 'recorded';
  notebook_path: string | null;
  parameters: IParameterSpec[];
}

/** GET /keys: every key the store knows, for autocomplete and column choices. */
export interface IKeysReply {
  params: string[];
  metrics: string[];
  tags: string[];
  experiments: string[];
  /** The fields the filter language accepts besides params.* / metrics.* / tags.* */
  fields: string[];
}

/** GET /importance: how much each param explains `metric` across the runs (0..1, summing to 1). */
export interface IImportanceReply {
  metric: string;
  importance: { [param: string]: number };
  /** e.g. "random forest (200 trees) over 12 runs" */
  method: string;
}

/** One column's drift test (monitoring/drift.py; Evidently's default method per column). */
export interface IDriftColumn {
  table: string;
  column: string;
  kind: 'numerical' | 'categorical';
  method: string;
  /** null when the test gave no finite number */
  statistic: number | null;
  threshold: number;
  drifted: boolean;
}

/** A table or column that is new, missing or retyped in the run against the baseline. */
export interface ISchemaChange {
  table: string;
  column: string | null;
  change: string;
  baseline: string | null;
  current: string | null;
}

/** Per table: how many columns were tested and drifted, and the dataset-drift verdict. */
export interface IDriftTable {
  table: string;
  tested: number;
  drifted: number;
  share: number;
  dataset_drift: boolean;
}

export interface IDriftReport {
  run_id: string;
  baseline_run_id: string;
  columns: IDriftColumn[];
  schema: ISchemaChange[];
  skipped: { table: string; column: string; reason: string }[];
  tables: IDriftTable[];
}

/** A registered model (GET /models, and `model` in GET /models/{name}). */
export interface IRegisteredModel {
  name: string;
  description: string | null;
  created: number;
  updated: number;
  latest_version: number | null;
  tags: { [key: string]: string };
  aliases: { [alias: string]: number };
}

/** One registered version, with its run, flavour, signature and what the promotion gate says. */
export interface IModelVersion {
  name: string;
  version: number;
  run_id: string;
  model_path: string;
  source: string;
  description: string | null;
  created: number;
  created_by: string | null;
  tags: { [key: string]: string };
  aliases: string[];
  run_name: string | null;
  run_status: string;
  refusals: string[];
  flavor: string | null;
  model_class: string | null;
  signature: { [key: string]: unknown } | null;
  signature_text: string;
  requirements: string[];
  cell: { [key: string]: unknown };
  input_example: { [key: string]: unknown } | null;
}

/** One alias move: the audit trail (a null version: the alias was set or deleted). */
export interface IAliasEvent {
  name: string;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  at: number;
  by_user: string | null;
  forced: boolean;
  reason: string | null;
}

/** GET /models/{name}; POST /models/{name}/aliases adds the `event` it recorded. */
export interface IModelDetail {
  model: IRegisteredModel;
  versions: IModelVersion[];
  alias_history: IAliasEvent[];
  event?: IAliasEvent;
}

/** A model a run logged (GET /runs/{run_id}/models). */
export interface IRunModel {
  name: string;
  uri: string;
  flavor: string | null;
  model_class: string | null;
  signature_text: string;
  registered: { name: string; version: number }[];
}
