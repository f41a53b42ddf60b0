/** A run's note on its page: shown as plain text (never markup), edited in place, saved to the
 * `mlops.note` tag through POST /runs/{id}/note. */
import * as React from 'react';

import { errorMessage } from '../errors';
import { useServices } from '../hooks';
import { IRunDetail } from '../types';

/** The tag the note lives in (tracking/notes.py NOTE_TAG). */
export const NOTE_TAG = 'mlops.note';

export interface IRunNotesProps {
  run: IRunDetail;
  /** Called with the updated run after a save. */
  onChanged: () => void;
}

export function RunNotes(props: IRunNotesProps): JSX.Element {
  const { client } = useServices();
  const note = props.run.tags[NOTE_TAG] ?? '';
  const [draft, setDraft] = React.useState<string | null>(null);
  const [saving, setSaving] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const save = async () => {
    setSaving(true);
    try {
      await client.setNote(props.run.run_id, draft ?? '');
      setDraft(null);
      setError(null);
      props.onChanged();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  };
  return (
    <section className="jp-mlops-Notes" aria-label="run note">
      <h3>Note</h3>
      {draft === null ? (
        <>
          {note && <div className="jp-mlops-Note">{note}</div>}
          <div className="jp-mlops-NoteBar">
            {!note && (
              <span className="jp-mlops-muted">No note yet: what did this run try, and what did you learn?</span>
            )}
            <button className="jp-mlops-button jp-mlops-EditNote" onClick={() => setDraft(note)}>
              {note ? 'Edit note' : 'Add note'}
            </button>
          </div>
        </>
      ) : (
        <div className="jp-mlops-NoteEditor">
          <textarea
            className="jp-mlops-NoteInput"
            aria-label="note text"
            value={draft}
            rows={Math.min(20, Math.max(4, draft.split('\n').length + 1))}
            maxLength={8000}
            onChange={e => setDraft(e.target.value)}
            onKeyDown={e => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                void save();
              } else if (e.key === 'Escape') {
                setDraft(null);
              }
            }}
            title="Ctrl/⌘+Enter saves, Escape cancels"
            autoFocus
          />
          <div className="jp-mlops-Toolbar">
            <button className="jp-mlops-button jp-mlops-SaveNote" onClick={() => void save()} disabled={saving}>
              {saving ? 'Saving…' : 'Save'}
            </button>
            <button className="jp-mlops-button" onClick={() => setDraft(null)} disabled={saving}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {error && <div className="jp-mlops-error">{error}</div>}
    </section>
  );
}
