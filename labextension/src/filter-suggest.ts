/**
 * The filter box's helpers as pure functions: completions for the word at the caret from the
 * store's keys, and the quick filters (status, time range, experiment) folded into the filter.
 */
import { IKeysReply } from './types';

export interface ISuggestions {
  /** The replaced range of the text: [start, end). */
  start: number;
  end: number;
  items: string[];
}

export const MAX_SUGGESTIONS = 8;
const FAMILIES = ['params', 'metrics', 'tags'] as const;

/** `params.lr`, or `metrics["val/loss"]` for a key that is not a plain name. */
export function fieldText(family: string, key: string): string {
  return /^[A-Za-z_]\w*$/.test(key) ? `${family}.${key}` : `${family}[${JSON.stringify(key)}]`;
}

function insideString(text: string): boolean {
  let quote: string | null = null;
  for (const ch of text) {
    if (quote) {
      quote = ch === quote ? null : quote;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    }
  }
  return quote !== null;
}

function rank(candidates: string[], word: string): string[] {
  const w = word.toLowerCase();
  const starts = candidates.filter(c => c.toLowerCase().startsWith(w));
  const contains = candidates.filter(c => !c.toLowerCase().startsWith(w) && c.toLowerCase().includes(w));
  return [...starts, ...contains].slice(0, MAX_SUGGESTIONS);
}

/** Completions for the word ending at `caret` (none inside a string or for an empty word). */
export function suggest(text: string, caret: number, keys: IKeysReply | null): ISuggestions {
  const before = text.slice(0, caret);
  const match = /[A-Za-z_][\w.]*$/.exec(before);
  const none = { start: caret, end: caret, items: [] };
  if (!match || !keys || insideString(before)) {
    return none;
  }
  const word = match[0];
  const start = match.index;
  const dot = word.indexOf('.');
  const family = dot > 0 ? word.slice(0, dot) : null;
  if (family && (FAMILIES as readonly string[]).includes(family)) {
    const prefix = word.slice(dot + 1);
    const all = keys[family as (typeof FAMILIES)[number]];
    const items = rank(all, prefix).map(k => fieldText(family, k));
    return { start, end: caret, items: items.filter(i => i !== word) };
  }
  const fields = [...keys.fields, ...FAMILIES.map(f => `${f}.`)];
  const keyed = FAMILIES.flatMap(f => keys[f].map(k => ({ f, k })));
  const byKey = rank(
    keyed.map(x => x.k),
    word
  ).flatMap(k => keyed.filter(x => x.k === k).map(x => fieldText(x.f, x.k)));
  const items = [...new Set([...rank(fields, word), ...byKey])].filter(i => i !== word).slice(0, MAX_SUGGESTIONS);
  return { start, end: caret, items };
}

/** The text after a completion is accepted, and where the caret goes. */
export function applySuggestion(text: string, s: ISuggestions, item: string): { text: string; caret: number } {
  const next = text.slice(0, s.start) + item + text.slice(s.end);
  return { text: next, caret: s.start + item.length };
}

export type StatusChoice = '' | 'running' | 'finished' | 'failed' | 'killed' | 'pruned';

export interface IQuickFilters {
  status: StatusChoice;
  /** Only runs started in the last N hours (0: any time). */
  sinceHours: number;
  /** One experiment's runs ('' : all). */
  experiment: string;
}

export const NO_QUICK_FILTERS: IQuickFilters = { status: '', sinceHours: 0, experiment: '' };

export const TIME_RANGES: [number, string][] = [
  [0, 'any time'],
  [1, 'last hour'],
  [24, 'last 24 h'],
  [24 * 7, 'last 7 days'],
  [24 * 30, 'last 30 days']
];

/** The filter the server gets: the typed one and each quick filter, joined with `and`. */
export function composeFilter(filter: string, quick: IQuickFilters, now: number = Date.now() / 1000): string {
  const parts: string[] = [];
  if (filter.trim()) {
    parts.push(`(${filter.trim()})`);
  }
  if (quick.status) {
    parts.push(`status == '${quick.status}'`);
  }
  if (quick.sinceHours > 0) {
    // rounded to the minute, so the poller's repeated query stays the same query
    const since = Math.floor((now - quick.sinceHours * 3600) / 60) * 60;
    parts.push(`start_time >= ${since}`);
  }
  if (quick.experiment) {
    parts.push(`experiment == ${JSON.stringify(quick.experiment)}`);
  }
  return parts.join(' and ');
}

export function parseQuickFilters(value: unknown): IQuickFilters {
  const v = (value && typeof value === 'object' ? value : {}) as { [k: string]: unknown };
  const statuses = ['', 'running', 'finished', 'failed', 'killed', 'pruned'];
  return {
    status: (typeof v.status === 'string' && statuses.includes(v.status) ? v.status : '') as StatusChoice,
    sinceHours: typeof v.sinceHours === 'number' && v.sinceHours >= 0 ? v.sinceHours : 0,
    experiment: typeof v.experiment === 'string' ? v.experiment : ''
  };
}
