/** Shown instead of the runs list when the server half of mlops-jupyter does not answer. */
import * as React from 'react';

export interface IServerMissingProps {
  status: number;
  message: string;
  onRetry: () => void;
}

export function ServerMissing(props: IServerMissingProps): JSX.Element {
  const missing = props.status === 404;
  return (
    <div className="jp-mlops-ServerMissing">
      <h3>{missing ? 'The mlops-jupyter server extension is not enabled' : 'Cannot load runs'}</h3>
      {missing ? (
        <>
          <p>The Runs panel needs the mlops-jupyter server extension. Enable it, then restart Jupyter:</p>
          <pre>jupyter server extension enable mlops_jupyter</pre>
          <p>
            If it is not installed in the environment that runs this server, install it there with{' '}
            <code>pip install mlops-jupyter</code>. Check with <code>jupyter server extension list</code>.
          </p>
        </>
      ) : (
        <p className="jp-mlops-error">{props.message}</p>
      )}
      <button className="jp-mod-styled jp-mod-accept" onClick={props.onRetry}>
        Retry
      </button>
    </div>
  );
}
