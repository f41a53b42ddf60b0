/** The models a run logged, with their URIs and the registered versions made from them. */
import * as React from 'react';

import { useAsyncEffect, useServices } from '../hooks';

export function RunModels(props: { runId: string }): JSX.Element | null {
  const { client } = useServices();
  const { runId } = props;
  const state = useAsyncEffect(() => client.runModels(runId), [client, runId]);
  const models = state.data?.models ?? [];
  if (models.length === 0) {
    return null;
  }
  return (
    <section className="jp-mlops-RunModels">
      <h3>Models</h3>
      <table className="jp-mlops-Table">
        <tbody>
          {models.map(m => (
            <tr key={m.name}>
              <td>{m.name}</td>
              <td>{m.flavor ?? '-'}</td>
              <td>
                <code>{m.uri}</code>
              </td>
              <td>{m.signature_text}</td>
              <td>{m.registered.map(v => `${v.name} v${v.version}`).join(', ') || 'not registered'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
