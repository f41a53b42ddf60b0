/** A run's captured output (stdout.txt, stderr.txt) inline on its page, as text: the first lines,
 * with "show all" for the rest. */
import * as React from 'react';

import { useAsyncEffect, useServices } from '../hooks';
import { IArtifact } from '../types';

/** Shown before "show all": at most this many lines ... */
export const PREVIEW_LINES = 200;
/** ... and this many characters (one endless line stays bounded too). */
export const PREVIEW_CHARS = 20_000;

/** The artifacts shown as output, stdout first. */
export function outputArtifacts(artifacts: IArtifact[]): IArtifact[] {
  const order = ['stdout.txt', 'stderr.txt'];
  return order.map(name => artifacts.find(a => a.name === name)).filter((a): a is IArtifact => a !== undefined);
}

/** The head of `text` within the bounds, and whether anything was left out. */
export function boundText(text: string, lines = PREVIEW_LINES, chars = PREVIEW_CHARS): { text: string; cut: boolean } {
  let end = Math.min(text.length, chars);
  let seen = 0;
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10 && ++seen === lines) {
      end = i + 1;
      break;
    }
  }
  return { text: text.slice(0, end), cut: end < text.length };
}

function countLines(text: string): number {
  return text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

function OutputBlock(props: { runId: string; artifact: IArtifact }): JSX.Element {
  const { client } = useServices();
  const { runId } = props;
  const { sha256, name } = props.artifact;
  const [all, setAll] = React.useState(false);
  const state = useAsyncEffect(() => client.getArtifactText(runId, sha256), [client, runId, sha256]);
  if (state.error) {
    return <div className="jp-mlops-error">{state.error}</div>;
  }
  if (state.data === null) {
    return <div className="jp-mlops-muted">loading {name}…</div>;
  }
  const shown = all ? { text: state.data, cut: false } : boundText(state.data);
  const kind = name.replace(/\.txt$/, '');
  return (
    <div className={`jp-mlops-Output jp-mlops-Output-${kind}`} data-output={kind}>
      <div className="jp-mlops-muted">
        {kind} · {countLines(state.data)} lines
      </div>
      <pre className="jp-mlops-OutputText">{shown.text}</pre>
      {shown.cut && (
        <button className="jp-mlops-button jp-mlops-ShowAllOutput" onClick={() => setAll(true)}>
          Show all ({countLines(state.data)} lines)
        </button>
      )}
    </div>
  );
}

export function RunStdout(props: { runId: string; artifacts: IArtifact[] }): JSX.Element | null {
  const outputs = outputArtifacts(props.artifacts);
  if (outputs.length === 0) {
    return null;
  }
  return (
    <section className="jp-mlops-RunOutput" aria-label="run output">
      <h3>Output</h3>
      {outputs.map(a => (
        <OutputBlock key={a.sha256} runId={props.runId} artifact={a} />
      ))}
    </section>
  );
}
