/**
 * The runs list's column layout as plain data (chosen extra columns, hidden base columns, order,
 * widths), with the pure edits the table's header makes; saved and restored as one JSON value.
 */

export interface IColumnLayout {
  /** Chosen `params.*` / `metrics.*` columns; null: the defaults (varying params, headline metrics). */
  extra: string[] | null;
  /** Base column ids the user hid. */
  hidden: string[];
  /** Column ids in the order the user dragged them to (ids not listed keep their place after). */
  order: string[];
  /** Widths in pixels the user dragged columns to. */
  widths: { [id: string]: number };
}

export const DEFAULT_LAYOUT: IColumnLayout = { extra: null, hidden: [], order: [], widths: {} };

export const MIN_WIDTH = 36;
export const MAX_WIDTH = 800;

/** Order items by the layout: listed ids first in their saved order, then the rest as given. */
export function applyOrder<T extends { id: string; pinned?: boolean }>(items: T[], order: string[]): T[] {
  const rank = new Map(order.map((id, i) => [id, i]));
  const pinned = items.filter(c => c.pinned);
  const rest = items.filter(c => !c.pinned);
  const ranked = rest
    .map((c, i) => ({ c, key: rank.has(c.id) ? rank.get(c.id)! : order.length + i }))
    .sort((a, b) => a.key - b.key)
    .map(x => x.c);
  return [...pinned, ...ranked];
}

/** Move column `from` to where `to` is (dropping a header on another), given the shown order. */
export function moveColumn(layout: IColumnLayout, shown: string[], from: string, to: string): IColumnLayout {
  if (from === to || !shown.includes(from) || !shown.includes(to)) {
    return layout;
  }
  const ids = shown.filter(id => id !== from);
  const at = ids.indexOf(to) + (shown.indexOf(from) < shown.indexOf(to) ? 1 : 0);
  ids.splice(at, 0, from);
  return { ...layout, order: ids };
}

export function resizeColumn(layout: IColumnLayout, id: string, width: number): IColumnLayout {
  const w = Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, width)));
  return { ...layout, widths: { ...layout.widths, [id]: w } };
}

export function toggleHidden(layout: IColumnLayout, id: string): IColumnLayout {
  const hidden = layout.hidden.includes(id) ? layout.hidden.filter(h => h !== id) : [...layout.hidden, id];
  return { ...layout, hidden };
}

/** A saved layout read back: anything malformed falls back to the default for that part. */
export function parseLayout(value: unknown): IColumnLayout {
  const v = (value && typeof value === 'object' ? value : {}) as { [k: string]: unknown };
  const strings = (x: unknown): string[] | null =>
    Array.isArray(x) && x.every(s => typeof s === 'string') ? (x as string[]) : null;
  const widths: { [id: string]: number } = {};
  if (v.widths && typeof v.widths === 'object') {
    for (const [k, w] of Object.entries(v.widths as object)) {
      if (typeof w === 'number' && Number.isFinite(w)) {
        widths[k] = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, w));
      }
    }
  }
  return { extra: strings(v.extra), hidden: strings(v.hidden) ?? [], order: strings(v.order) ?? [], widths };
}
