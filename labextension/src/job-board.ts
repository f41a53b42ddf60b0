/**
 * The jobs started outside a run page (a conversion from the notebook toolbar), kept where the
 * Runs sidebar shows them as job lines until the user dismisses them.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IJob } from './types';

export class JobBoard {
  /** The jobs shown, newest first (each as the server first answered it; job lines poll). */
  get jobs(): readonly IJob[] {
    return this._jobs;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  add(job: IJob): void {
    this._jobs = [job, ...this._jobs.filter(j => j.job_id !== job.job_id)];
    this._changed.emit();
  }

  dismiss(jobId: string): void {
    this._jobs = this._jobs.filter(j => j.job_id !== jobId);
    this._changed.emit();
  }

  private _jobs: IJob[] = [];
  private _changed = new Signal<this, void>(this);
}
