/** The small JupyterLab dialogs the panel and the run view share (text in, text out). */
import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';

/** Ask for a tag as `key=value`; null when cancelled or empty. */
export async function askTag(title: string): Promise<{ [key: string]: string } | null> {
  const answer = await InputDialog.getText({ title, placeholder: 'stage=candidate' });
  if (!answer.button.accept || !answer.value || !answer.value.trim()) {
    return null;
  }
  const [key, ...rest] = answer.value.split('=');
  return { [key.trim()]: rest.join('=').trim() };
}

/** Confirm deleting runs; `what` names them (plain text). */
export async function confirmDelete(title: string, what: string): Promise<boolean> {
  const answer = await showDialog({
    title,
    body: `${what}: parameters, metrics, tags and artifact references are removed from the store.`,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
  });
  return answer.button.accept;
}
