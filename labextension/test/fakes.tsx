/**
 * Test doubles: a fake REST client (only the methods a test gives it; any other call fails the
 * test) passed to the hooks through the real ServicesContext, and a few wire records.
 */
import * as React from 'react';

import type { MlopsClient } from '../src/api';
import { ApiError } from '../src/errors';
import { IPanelServices, ServicesContext } from '../src/hooks';
import { IJob, IRun, IRunDetail } from '../src/types';

export type FakeClient = Partial<{ [K in keyof MlopsClient]: jest.Mock }>;

export interface IFakeServices {
  services: IPanelServices;
  wrapper: (props: { children: React.ReactNode }) => JSX.Element;
}

/** Services around a fake client; `changes` counts notifyChanged calls. */
export function fakeServices(
  client: FakeClient,
  extra: Partial<IPanelServices> = {}
): IFakeServices & { changes: jest.Mock } {
  const changes = jest.fn();
  const proxy = new Proxy(client, {
    get(target, name: string) {
      if (name in target) {
        return target[name as keyof FakeClient];
      }
      throw new Error(`the fake client has no ${name}`);
    }
  });
  const services: IPanelServices = {
    client: proxy as unknown as MlopsClient,
    capabilities: {
      version: 'test',
      store_url: null,
      actions: { rerun: true, reproduce: true, sweep: true, export_script: true, convert: true }
    },
    openRun: jest.fn(),
    openCompare: jest.fn(),
    openPath: jest.fn(),
    notifyChanged: changes,
    changeCount: 0,
    visible: true,
    ...extra
  };
  const wrapper = (props: { children: React.ReactNode }) => (
    <ServicesContext.Provider value={services}>{props.children}</ServicesContext.Provider>
  );
  return { services, wrapper, changes };
}

export function job(overrides: Partial<IJob> = {}): IJob {
  return {
    job_id: 'a'.repeat(32),
    action: 'reproduce',
    status: 'running',
    started: 1700000000,
    message: null,
    result: null,
    http_status: null,
    progress: null,
    links: {},
    ...overrides
  };
}

export function run(index: number, overrides: Partial<IRun> = {}): IRun {
  const runId = index.toString(16).padStart(32, '0');
  return {
    run_id: runId,
    experiment: 'default',
    name: `run-${index}`,
    status: 'finished',
    start_time: 1700000000 + index,
    end_time: 1700000010 + index,
    duration: 10,
    parent_run_id: null,
    source_notebook: 'train.ipynb',
    cell_id: null,
    updated_at: 1700000010 + index,
    error: null,
    params: { lr: 0.1 },
    metrics: { acc: 0.9 },
    tags: {},
    artifacts: [],
    ...overrides
  };
}

export function runDetail(index: number, overrides: Partial<IRunDetail> = {}): IRunDetail {
  return { ...run(index), provenance: {}, notebook_path: 'train.ipynb', ...overrides };
}

/** What the server answers for a job id it does not know (e.g. after a restart). */
export function unknownJob(): ApiError {
  return new ApiError(404, "no job 'aaaa'; jobs are kept only while the server runs");
}
