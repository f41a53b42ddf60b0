/** A run's status as a small coloured badge (or, compact, a coloured dot that keeps the text). */
import * as React from 'react';

import { RunStatus } from '../types';

export interface IStatusBadgeProps {
  status: RunStatus;
  /** A dot for narrow lists: the status stays the element's text, its title and its label. */
  compact?: boolean;
}

export function StatusBadge(props: IStatusBadgeProps): JSX.Element {
  return (
    <span
      className={`jp-mlops-StatusBadge jp-mlops-status-${props.status}${props.compact ? ' jp-mod-compact' : ''}`}
      title={props.status}
      aria-label={props.compact ? props.status : undefined}
      role={props.compact ? 'img' : undefined}
    >
      {props.status}
    </span>
  );
}
