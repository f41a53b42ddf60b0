/** The pure parts of the leaf components: artifact kinds, column cells, the metric chart's axes. */
import { render, screen } from '@testing-library/react';
import * as React from 'react';

import { isImage, isNotebook, isTable } from '../src/components/artifact-view';
import { MetricChart } from '../src/components/metric-chart';
import { metricColumn, paramColumn } from '../src/components/runs-table';
import { errorMessage } from '../src/errors';
import { IArtifact } from '../src/types';
import { run } from './fakes';

function artifact(name: string, media_type: string): IArtifact {
  return { name, media_type, sha256: '0'.repeat(64), size: 10 };
}

describe('artifact kinds', () => {
  it('previews tables by media type or extension, opens notebooks, shows images', () => {
    expect(isTable(artifact('scores.parquet', 'application/octet-stream'))).toBe(true);
    expect(isTable(artifact('x', 'text/csv'))).toBe(true);
    expect(isTable(artifact('model.pkl', 'application/octet-stream'))).toBe(false);
    expect(isNotebook(artifact('executed.ipynb', 'application/json'))).toBe(true);
    expect(isNotebook(artifact('data.json', 'application/json'))).toBe(false);
    expect(isImage(artifact('loss.svg', 'image/svg+xml'))).toBe(true);
    expect(isImage(artifact('loss.txt', 'text/plain'))).toBe(false);
  });
});

describe('run list cells', () => {
  it('render param and metric values as text', () => {
    const r = run(1, { params: { model: 'rf', depth: null }, metrics: { acc: 0.912345678 } });
    expect(paramColumn('model').render(r)).toBe('rf');
    expect(paramColumn('depth').render(r)).toBe('None');
    expect(paramColumn('missing').render(r)).toBe('');
    expect(metricColumn('acc').render(r)).toBe('0.91235');
    // the tooltip keeps every digit
    expect(metricColumn('acc').title?.(r)).toBe('0.912345678');
  });
});

describe('MetricChart', () => {
  it('labels the y axis with the extremes, skipping missing points', () => {
    render(
      <MetricChart
        title="loss"
        series={[
          {
            label: 'a',
            points: [
              [0, 2.5],
              [1, null],
              [2, 0.25]
            ]
          }
        ]}
      />
    );
    expect(screen.getByRole('img', { name: 'chart of loss' })).toBeTruthy();
    expect(screen.getByText('2.5')).toBeTruthy();
    expect(screen.getByText('0.25')).toBeTruthy();
  });
  it('says so when there is nothing to draw', () => {
    render(<MetricChart title="acc" series={[{ label: 'a', points: [[0, null]] }]} />);
    expect(screen.getByText('no points')).toBeTruthy();
  });
});

describe('errorMessage', () => {
  it("is the error's message, or the thrown value as text", () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('plain')).toBe('plain');
  });
});
