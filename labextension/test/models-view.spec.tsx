/** The Models view: registered models listed, a model's versions with their run link, signature
 * and what the promotion gate objects to, and its alias moves; a run's models. */
import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import { ModelsView } from '../src/components/models-view';
import { RunModels } from '../src/components/run-models';
import { IModelDetail, IModelVersion } from '../src/types';
import { ApiError } from '../src/errors';
import { fakeServices } from './fakes';

jest.mock('@jupyterlab/apputils', () => ({
  showDialog: jest.fn(() => Promise.resolve({ button: { accept: true } })),
  InputDialog: { getText: jest.fn(() => Promise.resolve({ button: { accept: true }, value: 'champion' })) },
  Dialog: { cancelButton: jest.fn(() => ({})), warnButton: jest.fn(() => ({})) }
}));

function version(n: number, overrides: Partial<IModelVersion> = {}): IModelVersion {
  return {
    name: 'churn',
    version: n,
    run_id: String(n).repeat(32),
    model_path: 'model',
    source: `runs:/${String(n).repeat(32)}/model`,
    description: null,
    created: 1700000000,
    created_by: 'ann',
    tags: {},
    aliases: [],
    run_name: `train-${n}`,
    run_status: 'finished',
    refusals: [],
    flavor: 'sklearn',
    model_class: 'sklearn.pipeline.Pipeline',
    signature: null,
    signature_text: 'a: float64, b: Int64 -> int64[-1]',
    requirements: ['scikit-learn==1.9.1'],
    cell: {},
    input_example: null,
    ...overrides
  };
}

const DETAIL: IModelDetail = {
  model: {
    name: 'churn',
    description: 'the churn model',
    created: 1700000000,
    updated: 1700000100,
    latest_version: 2,
    tags: {},
    aliases: { champion: 1 }
  },
  versions: [
    version(2, { run_status: 'failed', refusals: ['its run 22222222 is failed: boom'] }),
    version(1, { aliases: ['champion'] })
  ],
  alias_history: [
    {
      name: 'churn',
      alias: 'champion',
      from_version: null,
      to_version: 1,
      at: 1700000100,
      by_user: 'ann',
      forced: false,
      reason: null
    }
  ]
};

describe('ModelsView', () => {
  it('lists models, opens one, shows the gate and links the source run', async () => {
    const listModels = jest.fn().mockResolvedValue({ models: [DETAIL.model] });
    const getModel = jest.fn().mockResolvedValue(DETAIL);
    const { wrapper, services } = fakeServices({ listModels, getModel });
    render(<ModelsView />, { wrapper });
    fireEvent.click(await screen.findByText('churn'));
    expect(getModel).toHaveBeenCalledWith('churn');
    expect(await screen.findByText('gate: its run 22222222 is failed: boom')).toBeTruthy();
    expect(screen.getAllByText('a: float64, b: Int64 -> int64[-1]')).toHaveLength(2);
    expect(screen.getByText(/champion v- → v1 by ann/)).toBeTruthy();
    fireEvent.click(screen.getByText('train-1'));
    expect(services.openRun).toHaveBeenCalledWith('1'.repeat(32), 'train-1');
  });

  it('promotes through the gate: a 409 shows why and forcing is a second, recorded call', async () => {
    const moved: IModelDetail = { ...DETAIL, model: { ...DETAIL.model, aliases: { champion: 2 } } };
    const setModelAlias = jest
      .fn()
      .mockRejectedValueOnce(new ApiError(409, 'not moving churn@champion to version 2: its run failed'))
      .mockResolvedValueOnce(moved);
    const { wrapper } = fakeServices({
      listModels: jest.fn().mockResolvedValue({ models: [DETAIL.model] }),
      getModel: jest.fn().mockResolvedValue(DETAIL),
      setModelAlias
    });
    render(<ModelsView />, { wrapper });
    fireEvent.click(await screen.findByText('churn'));
    fireEvent.click((await screen.findAllByText('Promote'))[0]);
    expect(await screen.findByText('aliases: champion=v2')).toBeTruthy();
    expect(setModelAlias.mock.calls).toEqual([
      ['churn', 'champion', 2, false],
      ['churn', 'champion', 2, true]
    ]);
  });

  it('says how to register a model when there is none', async () => {
    const { wrapper } = fakeServices({ listModels: jest.fn().mockResolvedValue({ models: [] }) });
    render(<ModelsView />, { wrapper });
    expect(await screen.findByText(/No registered models yet/)).toBeTruthy();
  });
});

describe('RunModels', () => {
  it("lists a run's models with their URI and registered versions", async () => {
    const runModels = jest.fn().mockResolvedValue({
      models: [
        {
          name: 'model',
          uri: 'runs:/abc/model',
          flavor: 'xgboost',
          model_class: 'xgboost.sklearn.XGBClassifier',
          signature_text: 'x: float64 -> int64[-1]',
          registered: [{ name: 'churn', version: 3 }]
        }
      ]
    });
    const { wrapper } = fakeServices({ runModels });
    render(<RunModels runId="abc" />, { wrapper });
    expect(await screen.findByText('runs:/abc/model')).toBeTruthy();
    expect(screen.getByText('churn v3')).toBeTruthy();
  });
});
