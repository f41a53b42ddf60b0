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
    body: `${what}: they move to the trash (Trash view), from where they can be restored until \`mlops-jupyter store gc\`.`,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
  });
  return answer.button.accept;
}

/** Deleting parents: with their child runs ('all'), only them ('only'), or not (null). */
export async function askDeleteChildren(runs: number, children: number): Promise<'all' | 'only' | null> {
  const answer = await showDialog({
    title: `Delete ${runs} run${runs > 1 ? 's' : ''}?`,
    body:
      `${children} child run${children > 1 ? 's' : ''} (sweep points, tracked cells) hang below. ` +
      'Deleted runs move to the trash and can be restored until `mlops-jupyter store gc`.',
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: 'Only the selected', ariaLabel: 'delete only the selected runs' }),
      Dialog.warnButton({ label: `Delete with ${children} children`, ariaLabel: 'delete with children' })
    ]
  });
  if (!answer.button.accept) {
    return null;
  }
  return answer.button.label.startsWith('Only') ? 'only' : 'all';
}
