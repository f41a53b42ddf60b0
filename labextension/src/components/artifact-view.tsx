/** One artifact: images inline, tables previewed, notebooks openable, anything else downloadable. */
import * as React from 'react';

import { formatBytes } from '../format';
import { useAsyncEffect, useBlobUrl, useServices } from '../hooks';
import { IArtifact } from '../types';

export interface IArtifactViewProps {
  runId: string;
  artifact: IArtifact;
}

export function isImage(a: IArtifact): boolean {
  return a.media_type.startsWith('image/');
}

export function isTable(a: IArtifact): boolean {
  return /parquet|csv|dataresource/.test(a.media_type) || /\.(parquet|csv)$/.test(a.name);
}

export function isNotebook(a: IArtifact): boolean {
  return a.media_type.includes('ipynb') || a.name.endsWith('.ipynb');
}

export function ArtifactImage(props: IArtifactViewProps): JSX.Element {
  const { url, error } = useBlobUrl(props.runId, props.artifact.sha256);
  if (error) {
    return <div className="jp-mlops-error">{error}</div>;
  }
  return url ? (
    <img className="jp-mlops-Figure" src={url} alt={props.artifact.name} title={props.artifact.name} />
  ) : (
    <div className="jp-mlops-muted">loading {props.artifact.name}…</div>
  );
}

/** A table cell's value as text (null as empty, objects as JSON). */
function cellText(v: unknown): string {
  return v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function TablePreview(props: IArtifactViewProps): JSX.Element {
  const { client } = useServices();
  const { runId } = props;
  const { sha256 } = props.artifact;
  const state = useAsyncEffect(() => client.previewTable(runId, sha256), [client, runId, sha256]);
  if (state.error) {
    return <div className="jp-mlops-error">{state.error}</div>;
  }
  if (!state.data) {
    return <div className="jp-mlops-muted">loading…</div>;
  }
  const t = state.data;
  return (
    <div className="jp-mlops-TablePreview">
      <table>
        <thead>
          <tr>
            {t.index_columns.map((c, i) => (
              <th key={`index-${i}`} className="jp-mlops-IndexHeader">
                {c}
              </th>
            ))}
            {t.columns.map((c, i) => (
              <th key={i}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {t.rows.map((row, i) => (
            <tr key={i}>
              {(t.index[i] ?? []).map((v, j) => (
                <th key={`index-${j}`} scope="row" className="jp-mlops-Index">
                  {cellText(v)}
                </th>
              ))}
              {row.map((v, j) => (
                <td key={j}>{cellText(v)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <div className="jp-mlops-muted">
        {t.rows.length} of {t.total_rows} rows
      </div>
    </div>
  );
}

export function ArtifactView(props: IArtifactViewProps): JSX.Element {
  const { client, openPath } = useServices();
  const a = props.artifact;
  const download = async () => {
    const blob = await client.getArtifactBlob(props.runId, a.sha256);
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = a.name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  const open = async () => openPath((await client.copyNotebookArtifact(props.runId, a.sha256)).path);
  return (
    <div className="jp-mlops-Artifact" data-artifact={a.name}>
      <div className="jp-mlops-Artifact-header">
        <span className="jp-mlops-Artifact-name">{a.name}</span>
        <span className="jp-mlops-muted">
          {a.media_type} · {formatBytes(a.size)} · {a.sha256.slice(0, 12)}
        </span>
        {isNotebook(a) && (
          <button className="jp-mlops-button" onClick={open}>
            Open notebook
          </button>
        )}
        <button className="jp-mlops-button" onClick={download}>
          Download
        </button>
      </div>
      {isImage(a) && <ArtifactImage {...props} />}
      {isTable(a) && <TablePreview {...props} />}
    </div>
  );
}
