/**
 * A run's tags on its page: user tags added, edited (value or key) and removed in place through
 * POST /runs/{id}/user-tags; the `mlops.*` tags mlops-jupyter records, read-only, in a collapsed
 * "System" group. Keys and values are rendered as text.
 */
import * as React from 'react';

import { errorMessage } from '../errors';
import { useServices } from '../hooks';
import { IRunDetail } from '../types';
import { KeyValueTable } from './kv-table';
import { NOTE_TAG } from './run-notes';

/** Tags under this prefix are the system's (tracking/notes.py SYSTEM_PREFIX). */
export const SYSTEM_PREFIX = 'mlops.';

/** User tags and system tags, each sorted by key; the note (shown on its own) is left out. */
export function splitTags(tags: { [key: string]: string }): { user: [string, string][]; system: [string, string][] } {
  const entries = Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    user: entries.filter(([k]) => !k.startsWith(SYSTEM_PREFIX)),
    system: entries.filter(([k]) => k.startsWith(SYSTEM_PREFIX) && k !== NOTE_TAG)
  };
}

/** Why a key cannot be used, or null when it can. */
export function tagKeyProblem(key: string): string | null {
  if (!key.trim()) {
    return 'a tag needs a key';
  }
  if (key.startsWith(SYSTEM_PREFIX)) {
    return `keys starting with "${SYSTEM_PREFIX}" are system tags (read-only)`;
  }
  return null;
}

interface IDraft {
  /** The key being edited (null: a new tag). */
  original: string | null;
  key: string;
  value: string;
}

export interface IRunTagsEditorProps {
  run: IRunDetail;
  onChanged: () => void;
}

function TagForm(props: { draft: IDraft; busy: boolean; onDraft: (d: IDraft | null) => void; onSave: () => void }) {
  const { draft } = props;
  const submitOnEnter = (e: React.KeyboardEvent) => {
    if (e.key === 'Enter') {
      props.onSave();
    } else if (e.key === 'Escape') {
      props.onDraft(null);
    }
  };
  return (
    <tr className="jp-mlops-TagForm">
      <th>
        <input
          className="jp-mlops-TagKey"
          aria-label="tag key"
          value={draft.key}
          placeholder="key"
          onChange={e => props.onDraft({ ...draft, key: e.target.value })}
          onKeyDown={submitOnEnter}
          autoFocus={draft.original === null}
        />
      </th>
      <td>
        <input
          className="jp-mlops-TagValue"
          aria-label="tag value"
          value={draft.value}
          placeholder="value"
          onChange={e => props.onDraft({ ...draft, value: e.target.value })}
          onKeyDown={submitOnEnter}
          autoFocus={draft.original !== null}
        />
        <button className="jp-mlops-button jp-mlops-SaveTag" onClick={props.onSave} disabled={props.busy}>
          Save
        </button>
        <button className="jp-mlops-button" onClick={() => props.onDraft(null)} disabled={props.busy}>
          Cancel
        </button>
      </td>
    </tr>
  );
}

export function RunTagsEditor(props: IRunTagsEditorProps): JSX.Element {
  const { client } = useServices();
  const { user, system } = splitTags(props.run.tags);
  const [draft, setDraft] = React.useState<IDraft | null>(null);
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const send = async (set: { [key: string]: string }, remove: string[]) => {
    setBusy(true);
    try {
      await client.editUserTags(props.run.run_id, set, remove);
      setDraft(null);
      setError(null);
      props.onChanged();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  const save = () => {
    if (!draft) {
      return;
    }
    const problem = tagKeyProblem(draft.key);
    if (problem) {
      setError(problem);
      return;
    }
    const renamed = draft.original !== null && draft.original !== draft.key ? [draft.original] : [];
    void send({ [draft.key]: draft.value }, renamed);
  };
  const form = (d: IDraft) => <TagForm key="form" draft={d} busy={busy} onDraft={setDraft} onSave={save} />;
  return (
    <section className="jp-mlops-Tags" aria-label="run tags">
      <h3>Tags</h3>
      <table className="jp-mlops-KeyValueTable jp-mlops-UserTags">
        <tbody>
          {user.map(([key, value]) =>
            draft?.original === key ? (
              form(draft)
            ) : (
              <tr key={key} data-tag={key}>
                <th>{key}</th>
                <td>
                  <span className="jp-mlops-TagText">{value}</span>
                  <button
                    className="jp-mlops-button jp-mlops-EditTag"
                    onClick={() => setDraft({ original: key, key, value })}
                    title={`Edit tag ${key}`}
                    aria-label={`edit tag ${key}`}
                  >
                    Edit
                  </button>
                  <button
                    className="jp-mlops-button jp-mlops-RemoveTag"
                    onClick={() => void send({}, [key])}
                    disabled={busy}
                    title={`Remove tag ${key}`}
                    aria-label={`remove tag ${key}`}
                  >
                    ×
                  </button>
                </td>
              </tr>
            )
          )}
          {draft?.original === null && form(draft)}
        </tbody>
      </table>
      {user.length === 0 && draft === null && <div className="jp-mlops-muted">no tags</div>}
      {draft === null && (
        <button
          className="jp-mlops-button jp-mlops-AddTag"
          onClick={() => setDraft({ original: null, key: '', value: '' })}
        >
          Add tag
        </button>
      )}
      {error && <div className="jp-mlops-error">{error}</div>}
      {system.length > 0 && (
        <details className="jp-mlops-SystemTags">
          <summary>System ({system.length})</summary>
          <KeyValueTable rows={system} />
        </details>
      )}
    </section>
  );
}
