/** Where a run ran: the recorded Python, host and seeds (provenance documents), as text. */
import * as React from 'react';

import { IProvenance } from '../types';
import { KeyValueTable } from './kv-table';

type Doc = { [key: string]: unknown };

function asDoc(value: unknown): Doc {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Doc) : {};
}

function text(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (Array.isArray(value)) {
    return value.map(String).join(', ');
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** The rows of the Environment table: python, host, then one row per recorded seed. */
export function environmentRows(provenance: IProvenance): [string, string][] {
  const python = asDoc(provenance.python);
  const host = asDoc(provenance.host);
  const seeds = asDoc(provenance.seeds);
  const rows: [string, string][] = [
    ['python', [text(python.implementation), text(python.version)].filter(Boolean).join(' ')],
    ['python executable', text(python.executable)],
    ['host', text(host.hostname)],
    ['os', text(host.os)],
    ['machine', text(host.machine)],
    ['cpus', text(host.cpu_count)],
    ['gpus', text(host.gpus)],
    ...Object.entries(seeds)
      .sort()
      .map(([k, v]) => [`seed: ${k}`, text(v)] as [string, string])
  ];
  return rows.filter(r => r[1] !== '');
}

export function RunEnvironment(props: { provenance: IProvenance }): JSX.Element {
  const rows = environmentRows(props.provenance);
  const seeded = Object.keys(asDoc(props.provenance.seeds)).length > 0;
  return (
    <div className="jp-mlops-Environment" aria-label="run environment">
      <KeyValueTable rows={rows} empty="no environment recorded" />
      {!seeded && rows.length > 0 && <div className="jp-mlops-muted">no seeds were set</div>}
    </div>
  );
}
