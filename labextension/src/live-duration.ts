/** A running run's duration that ticks each second on the client, and stops when it ends. */
import * as React from 'react';

import { formatDuration } from './format';
import { IRun } from './types';

/** The current time in epoch seconds, updated every `intervalMs` while `active` (else null). */
export function useNow(active: boolean, intervalMs = 1000): number | null {
  const [now, setNow] = React.useState<number | null>(active ? Date.now() / 1000 : null);
  React.useEffect(() => {
    if (!active) {
      setNow(null);
      return;
    }
    setNow(Date.now() / 1000);
    const timer = window.setInterval(() => setNow(Date.now() / 1000), intervalMs);
    return () => window.clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}

/** Whole seconds as "42 s", "3m 04s", "1h 02m 03s": a ticking clock reads better unrounded. */
export function formatElapsed(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) {
    return `${h}h ${pad(m)}m ${pad(s)}s`;
  }
  return m > 0 ? `${m}m ${pad(s)}s` : `${s} s`;
}

/** The duration to show: the recorded one once the run ended, else the time since it started
 * (never less than the server's own figure, which runs to the last heartbeat). */
export function runDuration(run: Pick<IRun, 'status' | 'start_time' | 'duration'>, now: number | null): string {
  if (run.status !== 'running' || now === null || run.start_time === null) {
    return formatDuration(run.duration);
  }
  return formatElapsed(Math.max(run.duration ?? 0, now - run.start_time));
}
