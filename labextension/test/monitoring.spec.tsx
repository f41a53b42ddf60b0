/** The monitoring components: the failed-gate badge and the drift tables (values as text). */
import { render, screen } from '@testing-library/react';
import * as React from 'react';

import { DriftTables } from '../src/components/drift-view';
import { failedGates, GateBadge } from '../src/components/gate-badge';
import { IDriftReport } from '../src/types';

describe('GateBadge', () => {
  it('shows only failed gates, with their reasons as the tooltip', () => {
    const tags = {
      'gate.acc': 'failed: acc 0.86 dropped 0.04 from baseline 0.9 (max drop 0.03)',
      'gate.loss': 'passed: loss 0.1 within max 0.2',
      stage: 'failed but not a gate'
    };
    expect(failedGates(tags)).toEqual([['acc', tags['gate.acc']]]);
    render(<GateBadge tags={tags} />);
    expect(screen.getByText('gate failed').getAttribute('title')).toBe(tags['gate.acc']);
  });

  it('renders nothing when every gate passed', () => {
    const { container } = render(<GateBadge tags={{ 'gate.acc': 'passed: fine' }} />);
    expect(container.innerHTML).toBe('');
  });
});

describe('DriftTables', () => {
  it('lists each column verdict and the schema changes as text', () => {
    const report: IDriftReport = {
      run_id: 'a'.repeat(32),
      baseline_run_id: 'b'.repeat(32),
      columns: [
        {
          table: 'train',
          column: '<b>x</b>',
          kind: 'numerical',
          method: 'wasserstein',
          statistic: 0.5,
          threshold: 0.1,
          drifted: true
        },
        {
          table: 'train',
          column: 'y',
          kind: 'numerical',
          method: 'wasserstein',
          statistic: null,
          threshold: 0.1,
          drifted: false
        }
      ],
      schema: [{ table: 'train', column: 'city', change: 'new', baseline: null, current: 'str' }],
      skipped: [],
      tables: [{ table: 'train', tested: 2, drifted: 1, share: 0.5, dataset_drift: true }]
    };
    const { container } = render(<DriftTables report={report} />);
    expect(screen.getByText('train: 1 of 2 columns drifted (dataset drift)')).toBeTruthy();
    expect(screen.getByText('<b>x</b>')).toBeTruthy(); // text, never markup
    expect(container.querySelector('b')).toBeNull();
    expect(container.querySelectorAll('tr.jp-mlops-differs')).toHaveLength(1);
    expect(screen.getByText('train.city: new (— → str)')).toBeTruthy();
  });
});
