/** Hidden state in the panel: the badge (runs list, run header) and the run page's reason and execution history. */
import { render, screen } from '@testing-library/react';
import * as React from 'react';

import { nameBadges } from '../src/components/runs-table';
import { ExecutionHistory, HiddenStateBadge, HIDDEN_STATE_TAG } from '../src/components/hidden-state-badge';
import { ProvenanceView } from '../src/components/provenance-view';
import { reproduceBlocker } from '../src/components/reproduce-reason';
import { run, runDetail } from './fakes';

const REASON = "'x' was set by cell 5 ('x = 100'), which is below the cell that reads it. Fix: restart and run all.";

describe('HiddenStateBadge', () => {
  it('shows nothing for a clean run and the reason as its title for a flagged one', () => {
    const { container } = render(<HiddenStateBadge run={run(1)} />);
    expect(container.textContent).toBe('');
    render(<HiddenStateBadge run={run(2, { tags: { [HIDDEN_STATE_TAG]: REASON } })} />);
    expect(screen.getByLabelText('hidden state').getAttribute('title')).toBe(`Hidden state: ${REASON}`);
    expect(screen.getByLabelText('hidden state').textContent).toBe('⚠ hidden state');
  });

  it('is in the runs list after the name, as text (never HTML)', () => {
    const flagged = run(3, { tags: { [HIDDEN_STATE_TAG]: '<b>bold</b>' } });
    render(<div>{nameBadges(flagged)}</div>);
    const badge = screen.getByLabelText('hidden state');
    expect(badge.textContent).toBe('⚠');
    expect(badge.getAttribute('title')).toBe('Hidden state: <b>bold</b>');
    expect(document.querySelector('b')).toBeNull();
  });
});

describe('the run page', () => {
  it('shows the reason and the recorded execution history, this cell last', () => {
    const cell = {
      hidden_state: true,
      hidden_state_reason: REASON,
      history: [
        { execution_count: 1, cell_id: 'c-load', source_sha256: 'a'.repeat(64) },
        { execution_count: 2, cell_id: 'c-train', source_sha256: 'b'.repeat(64) }
      ]
    };
    render(<ProvenanceView run={runDetail(4, { provenance: { cell } })} />);
    expect(screen.getByText(`Hidden state: ${REASON}`)).toBeTruthy();
    expect(screen.getByText('Execution history (2 executions in this kernel)')).toBeTruthy();
    expect(screen.getByText('[2] this cell')).toBeTruthy();
    expect(screen.getByText('c-load')).toBeTruthy();
  });

  it('has no history section without a recorded history', () => {
    const { container } = render(<ExecutionHistory cell={{}} />);
    expect(container.textContent).toBe('');
  });
});

describe('reproduceBlocker', () => {
  it('allows notebook runs, child runs and %%track runs with a lineage, and says why otherwise', () => {
    const notebookRun = runDetail(5, {
      artifacts: [{ name: 'source.ipynb', media_type: 'application/json', sha256: '0'.repeat(64), size: 1 }]
    });
    expect(reproduceBlocker(notebookRun)).toBeNull();
    expect(reproduceBlocker(runDetail(6, { parent_run_id: 'f'.repeat(32) }))).toBeNull();
    expect(reproduceBlocker(runDetail(7, { provenance: { cell: { source: 'x = 1', lineage: [] } } }))).toBeNull();
    expect(reproduceBlocker(runDetail(8, { provenance: { cell: { source: 'x = 1' } } }))).toMatch(/lineage/);
    expect(reproduceBlocker(runDetail(9))).toMatch(/no recorded notebook or cell/);
  });
});
