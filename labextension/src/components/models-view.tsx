/** The Models view: registered models, their versions (run link, signature, gate), aliases, promotion. */
import * as React from 'react';
import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';

import { ApiError, errorMessage } from '../errors';
import { useAsyncEffect, useServices } from '../hooks';
import { IModelDetail, IModelVersion, IRegisteredModel } from '../types';

function when(epoch: number): string {
  return new Date(epoch * 1000).toLocaleString();
}

function aliasText(aliases: { [alias: string]: number }): string {
  const entries = Object.entries(aliases);
  return entries.length ? entries.map(([a, v]) => `${a}=v${v}`).join(', ') : '-';
}

/** Ask for the alias, try the move; when the gate refuses, show why and offer to force it. */
async function promote(
  move: (alias: string, force: boolean) => Promise<IModelDetail>,
  version: IModelVersion
): Promise<IModelDetail | null> {
  const answer = await InputDialog.getText({
    title: `Set an alias on ${version.name} version ${version.version}`,
    text: 'champion',
    placeholder: 'champion'
  });
  const alias = answer.button.accept ? (answer.value ?? '').trim() : '';
  if (!alias) {
    return null;
  }
  try {
    return await move(alias, false);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 409) {
      throw err;
    }
    const forced = await showDialog({
      title: 'The promotion gate refused',
      body: err.message,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Force (recorded)' })]
    });
    return forced.button.accept ? await move(alias, true) : null;
  }
}

function VersionRow(props: { version: IModelVersion; onPromote: (v: IModelVersion) => void }): JSX.Element {
  const { version: v, onPromote } = props;
  const { openRun } = useServices();
  return (
    <tr className="jp-mlops-ModelVersion">
      <td>v{v.version}</td>
      <td>{v.aliases.join(', ') || '-'}</td>
      <td>
        <button className="jp-mlops-Link" onClick={() => openRun(v.run_id, v.run_name ?? v.run_id)}>
          {v.run_name ?? v.run_id.slice(0, 8)}
        </button>{' '}
        <span className="jp-mlops-muted">{v.run_status}</span>
      </td>
      <td>{v.flavor ?? '-'}</td>
      <td className="jp-mlops-Signature">{v.signature_text}</td>
      <td>{when(v.created)}</td>
      <td>
        <button
          className="jp-mlops-Promote"
          title={v.refusals.length ? `The gate objects: ${v.refusals.join('; ')}` : 'Set an alias on this version'}
          onClick={() => onPromote(v)}
        >
          Promote
        </button>
        {v.refusals.length > 0 && <div className="jp-mlops-GateWarning">gate: {v.refusals.join('; ')}</div>}
      </td>
    </tr>
  );
}

function ModelDetail(props: { name: string; onChanged: () => void }): JSX.Element {
  const { client } = useServices();
  const { name, onChanged } = props;
  const [replaced, setReplaced] = React.useState<IModelDetail | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const loaded = useAsyncEffect(() => client.getModel(name), [client, name]);
  const detail = replaced?.model.name === name ? replaced : loaded.data;
  if (!detail) {
    return <div className="jp-mlops-muted">{loaded.error ?? 'loading…'}</div>;
  }
  const onPromote = (v: IModelVersion) => {
    setError(null);
    promote((alias, force) => client.setModelAlias(name, alias, v.version, force), v).then(
      next => {
        if (next) {
          setReplaced(next);
          onChanged();
        }
      },
      err => setError(errorMessage(err))
    );
  };
  return (
    <div className="jp-mlops-ModelDetail">
      <h3>{detail.model.name}</h3>
      <p>{detail.model.description ?? ''}</p>
      <p>aliases: {aliasText(detail.model.aliases)}</p>
      {error && <div className="jp-mlops-Error">{error}</div>}
      <table className="jp-mlops-Table">
        <thead>
          <tr>
            <th>version</th>
            <th>aliases</th>
            <th>source run</th>
            <th>flavour</th>
            <th>signature</th>
            <th>registered</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {detail.versions.map(v => (
            <VersionRow key={v.version} version={v} onPromote={onPromote} />
          ))}
        </tbody>
      </table>
      <h4>Alias moves</h4>
      <ul className="jp-mlops-AliasHistory">
        {detail.alias_history.map((e, i) => (
          <li key={i}>
            {when(e.at)}: {e.alias} v{e.from_version ?? '-'} → v{e.to_version ?? '-'} by {e.by_user ?? '?'}
            {e.forced ? ` (forced: ${e.reason ?? ''})` : ''}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Every registered model; choosing one shows its versions. */
export function ModelsView(): JSX.Element {
  const { client, changeCount } = useServices();
  const [chosen, setChosen] = React.useState<string | null>(null);
  const [bump, setBump] = React.useState(0);
  const list = useAsyncEffect(() => client.listModels(), [client, changeCount, bump]);
  const models: IRegisteredModel[] = list.data?.models ?? [];
  return (
    <div className="jp-mlops-ModelsView">
      <h2>Registered models</h2>
      {list.error && <div className="jp-mlops-Error">{list.error}</div>}
      {!list.loading && models.length === 0 && (
        <div className="jp-mlops-muted">
          No registered models yet: mj.register_model(&quot;runs:/RUN_ID/NAME&quot;, &quot;name&quot;)
        </div>
      )}
      <table className="jp-mlops-Table">
        <tbody>
          {models.map(m => (
            <tr key={m.name} className={m.name === chosen ? 'jp-mod-selected' : ''} onClick={() => setChosen(m.name)}>
              <td>
                <button className="jp-mlops-Link">{m.name}</button>
              </td>
              <td>v{m.latest_version ?? '-'}</td>
              <td>{aliasText(m.aliases)}</td>
              <td>{when(m.updated)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {chosen && <ModelDetail name={chosen} onChanged={() => setBump(b => b + 1)} />}
    </div>
  );
}
