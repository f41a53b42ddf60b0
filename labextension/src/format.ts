/** Pure formatting helpers for run values (all output is plain text). */
import { ACTIVE_JOB_STATUSES, IJob, ParamValue } from './types';

export function formatTime(epochSeconds: number | null | undefined): string {
  if (epochSeconds === null || epochSeconds === undefined) {
    return '';
  }
  const d = new Date(epochSeconds * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) {
    return '';
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const m = Math.floor(seconds / 60);
  if (m < 60) {
    return `${m}m ${Math.round(seconds % 60)}s`;
  }
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (Number.isInteger(value)) {
    return String(value);
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) {
    return value.toExponential(3);
  }
  return String(Number(value.toPrecision(5)));
}

export function formatValue(value: ParamValue | undefined): string {
  if (value === undefined) {
    return '';
  }
  if (value === null) {
    return 'None';
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}

export function formatBytes(size: number): string {
  if (size < 1024) {
    return `${size} B`;
  }
  if (size < 1024 * 1024) {
    return `${(size / 1024).toFixed(1)} KB`;
  }
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

export function basename(path: string | null | undefined): string {
  if (!path) {
    return '';
  }
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1];
}

export type ParamKind = 'int' | 'float' | 'bool' | 'str' | 'json';

/** The input type for re-running with this parameter, inferred from its recorded value. */
export function paramKind(value: ParamValue | undefined): ParamKind {
  if (typeof value === 'boolean') {
    return 'bool';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? 'int' : 'float';
  }
  if (typeof value === 'string') {
    return 'str';
  }
  return 'json';
}

/** Parse a form input back into a typed value; throws with a readable message. */
export function parseParam(kind: ParamKind, raw: string | boolean, name: string): ParamValue {
  if (kind === 'bool') {
    return Boolean(raw);
  }
  const text = String(raw);
  if (kind === 'int') {
    if (!/^[-+]?\d+$/.test(text.trim())) {
      throw new Error(`parameter ${name}: ${JSON.stringify(text)} is not an integer`);
    }
    return parseInt(text, 10);
  }
  if (kind === 'float') {
    const v = Number(text);
    if (text.trim() === '' || Number.isNaN(v)) {
      throw new Error(`parameter ${name}: ${JSON.stringify(text)} is not a number`);
    }
    return v;
  }
  if (kind === 'json') {
    try {
      return JSON.parse(text) as ParamValue;
    } catch {
      throw new Error(`parameter ${name}: ${JSON.stringify(text)} is not valid JSON`);
    }
  }
  return text;
}

/** What a job whose id the server no longer knows (a 404 while polling) is shown as. */
export const SERVER_RESTARTED = 'the server restarted';

/** One line for a background job: "reproduce: finished — <result>", "rerun: failed: <why>". */
/** Whether a background job has not ended yet (queued, running or being cancelled). */
export function isActiveJob(job: IJob): boolean {
  return ACTIVE_JOB_STATUSES.includes(job.status);
}

export function describeJob(job: IJob): string {
  let text = `${job.action}: ${job.status}`;
  if (job.status === 'failed') {
    return job.message ? `${text}: ${job.message}` : text;
  }
  if (job.result) {
    text += ` — ${job.result}`;
  }
  return job.message ? `${text} — ${job.message}` : text;
}

/** What the panel says when some of `total` deletions failed (run id, server message). */
export function describeDeleteFailures(total: number, failures: [string, string][]): string {
  if (total === 1 && failures.length === 1) {
    return `Delete failed: ${failures[0][1]}`;
  }
  const why = failures.map(([runId, message]) => `${runId.slice(0, 8)}: ${message}`).join('; ');
  return `Deleted ${total - failures.length} of ${total} runs; ${failures.length} failed: ${why}`;
}

export const SERIES_COLORS = [
  'var(--jp-brand-color1)',
  'var(--jp-warn-color1)',
  'var(--jp-success-color1)',
  'var(--jp-error-color1)',
  'var(--jp-accent-color1)',
  'var(--jp-brand-color3)',
  'var(--jp-warn-color3)',
  'var(--jp-success-color3)'
];
