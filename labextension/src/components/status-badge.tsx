/** A run's status as a small coloured badge. */
import * as React from 'react';

import { RunStatus } from '../types';

export interface IStatusBadgeProps {
  status: RunStatus;
}

export function StatusBadge(props: IStatusBadgeProps): JSX.Element {
  return (
    <span className={`jp-mlops-StatusBadge jp-mlops-status-${props.status}`} title={props.status}>
      {props.status}
    </span>
  );
}
