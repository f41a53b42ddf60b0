/** The pure formatting helpers: what the panel shows for run values, jobs and failed deletes. */
import {
  basename,
  describeDeleteFailures,
  describeJob,
  formatBytes,
  formatDuration,
  formatNumber,
  formatTime,
  formatValue,
  paramKind,
  parseParam,
  SERVER_RESTARTED
} from '../src/format';
import { job } from './fakes';

describe('formatTime', () => {
  it('shows local date and time, zero padded', () => {
    const epoch = new Date(2024, 0, 2, 3, 4, 5).getTime() / 1000;
    expect(formatTime(epoch)).toBe('2024-01-02 03:04:05');
  });
  it('shows nothing for a missing time', () => {
    expect(formatTime(null)).toBe('');
    expect(formatTime(undefined)).toBe('');
  });
});

describe('formatDuration', () => {
  it.each([
    [0.25, '250 ms'],
    [1.26, '1.3 s'],
    [59.94, '59.9 s'],
    [61, '1m 1s'],
    [3599, '59m 59s'],
    [3600 * 2 + 60 * 5, '2h 5m']
  ])('%p seconds is %p', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
  it('shows nothing for a run without an end', () => {
    expect(formatDuration(null)).toBe('');
  });
});

describe('formatNumber', () => {
  it.each([
    [3, '3'],
    [0, '0'],
    [-12, '-12'],
    [0.123456789, '0.12346'],
    [1234.56789, '1234.6'],
    [0.0001234, '1.234e-4'],
    [12345678.9, '1.235e+7']
  ])('%p is shown as %p', (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });
  it('shows nothing for a missing metric', () => {
    expect(formatNumber(null)).toBe('');
  });
});

describe('formatValue', () => {
  it('renders each parameter kind as text', () => {
    expect(formatValue(null)).toBe('None');
    expect(formatValue(undefined)).toBe('');
    expect(formatValue('rf')).toBe('rf');
    expect(formatValue(true)).toBe('true');
    expect(formatValue(0.5)).toBe('0.5');
    expect(formatValue([1, 'a'])).toBe('[1,"a"]');
    expect(formatValue({ depth: 3 })).toBe('{"depth":3}');
  });
  it('keeps markup as plain text', () => {
    expect(formatValue('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>');
  });
});

describe('formatBytes and basename', () => {
  it('picks the unit', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB');
  });
  it('takes the last path part, either separator', () => {
    expect(basename('nb/dir/train.ipynb')).toBe('train.ipynb');
    expect(basename('C:\\work\\eval.ipynb')).toBe('eval.ipynb');
    expect(basename(null)).toBe('');
  });
});

describe('paramKind and parseParam', () => {
  it('infers the input kind from the recorded value', () => {
    expect(paramKind(3)).toBe('int');
    expect(paramKind(0.1)).toBe('float');
    expect(paramKind(false)).toBe('bool');
    expect(paramKind('adam')).toBe('str');
    expect(paramKind([1, 2])).toBe('json');
    expect(paramKind(null)).toBe('json');
  });
  it('parses typed input back', () => {
    expect(parseParam('int', ' 42 ', 'epochs')).toBe(42);
    expect(parseParam('float', '1e-3', 'lr')).toBe(0.001);
    expect(parseParam('bool', true, 'shuffle')).toBe(true);
    expect(parseParam('json', '{"a": [1]}', 'cfg')).toEqual({ a: [1] });
    expect(parseParam('str', '0.1', 'name')).toBe('0.1');
  });
  it('names the parameter and the bad value', () => {
    expect(() => parseParam('int', '1.5', 'epochs')).toThrow('parameter epochs: "1.5" is not an integer');
    expect(() => parseParam('float', '', 'lr')).toThrow('parameter lr: "" is not a number');
    expect(() => parseParam('float', 'fast', 'lr')).toThrow('parameter lr: "fast" is not a number');
    expect(() => parseParam('json', '{a', 'cfg')).toThrow('parameter cfg: "{a" is not valid JSON');
  });
});

describe('describeJob', () => {
  it('shows a running job by its action', () => {
    expect(describeJob(job({ action: 'rerun' }))).toBe('rerun: running');
  });
  it('shows what a finished job made', () => {
    expect(describeJob(job({ status: 'finished', result: 'reproduced: metrics match' }))).toBe(
      'reproduce: finished — reproduced: metrics match'
    );
  });
  it('shows why a job failed', () => {
    expect(describeJob(job({ status: 'failed', message: SERVER_RESTARTED }))).toBe(
      'reproduce: failed: the server restarted'
    );
    expect(describeJob(job({ status: 'failed', message: 'PapermillExecutionError: cell 3' }))).toBe(
      'reproduce: failed: PapermillExecutionError: cell 3'
    );
  });
  it('shows a cancelled job', () => {
    expect(describeJob(job({ status: 'cancelled' }))).toBe('reproduce: cancelled');
  });
});

describe('describeDeleteFailures', () => {
  it('gives the server message for one run', () => {
    expect(describeDeleteFailures(1, [['f'.repeat(32), 'database is locked']])).toBe(
      'Delete failed: database is locked'
    );
  });
  it('counts what was deleted and names each run that was not', () => {
    const failures: [string, string][] = [
      ['1234567890abcdef'.repeat(2), 'database is locked'],
      ['abcdef0123456789'.repeat(2), 'no run']
    ];
    expect(describeDeleteFailures(5, failures)).toBe(
      'Deleted 3 of 5 runs; 2 failed: 12345678: database is locked; abcdef01: no run'
    );
  });
});
