/** A failed metric gate (`check-metrics`, recorded as a `gate.<metric>` tag) as a red badge. */
import * as React from 'react';

export const GATE_TAG_PREFIX = 'gate.';

/** The failed gates among a run's tags: metric -> the verdict's reason. */
export function failedGates(tags: { [key: string]: string } | undefined): [string, string][] {
  return Object.entries(tags ?? {})
    .filter(([key, value]) => key.startsWith(GATE_TAG_PREFIX) && value.startsWith('failed'))
    .map(([key, value]) => [key.slice(GATE_TAG_PREFIX.length), value]);
}

export interface IGateBadgeProps {
  tags: { [key: string]: string } | undefined;
}

export function GateBadge(props: IGateBadgeProps): JSX.Element | null {
  const failed = failedGates(props.tags);
  if (failed.length === 0) {
    return null;
  }
  return (
    <span className="jp-mlops-GateBadge" title={failed.map(([, reason]) => reason).join('\n')}>
      gate failed
    </span>
  );
}
