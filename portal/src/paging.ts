/** Lists of the API are pages `{items, next_cursor}`: the portal asks the next page with the cursor, never an offset. */

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface Paged<T> {
  items: T[];
  cursor: string | null;
  /** Whether a page was ever loaded (distinguishes "loading" from "empty"). */
  loaded: boolean;
}

export const EMPTY: Paged<never> = { items: [], cursor: null, loaded: false };

/** Appends a page; the first page (no cursor asked) replaces what was there. */
export function addPage<T>(state: Paged<T>, page: Page<T>, asked: string | null, key?: (item: T) => string): Paged<T> {
  const base = asked === null ? [] : state.items;
  let items = [...base, ...page.items];
  if (key) {
    const seen = new Set<string>();
    items = items.filter((item) => {
      const k = key(item);
      return seen.has(k) ? false : (seen.add(k), true);
    });
  }
  return { items, cursor: page.next_cursor ?? null, loaded: true };
}
