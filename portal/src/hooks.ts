import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

import { addPage, EMPTY, type Page, type Paged } from './paging';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads once per change of `deps`, with a loading, an error and a data state. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data: state.data, error: state.error, loading: state.loading, reload: () => setTick((t) => t + 1) };
}

export interface PagedList<T> extends Paged<T> {
  error: unknown;
  loading: boolean;
  more: () => void;
  reload: () => void;
}

/** A cursor-paged list: the first page on each change of `deps`, the next on `more()`. */
export function usePaged<T>(load: (cursor: string | null) => Promise<Page<T>>, deps: unknown[],
                            key?: (item: T) => string): PagedList<T> {
  const [state, setState] = useState<Paged<T>>(EMPTY);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const fetchPage = useCallback((cursor: string | null) => {
    const mine = ++generation.current;
    setLoading(true);
    setError(undefined);
    load(cursor).then(
      (page) => {
        if (mine !== generation.current) return;
        setState((s) => addPage(s, page, cursor, key));
        setLoading(false);
      },
      (problem) => {
        if (mine !== generation.current) return;
        setError(problem);
        setLoading(false);
      },
    );
  }, deps);
  useEffect(() => {
    setState(EMPTY);
    fetchPage(null);
  }, [fetchPage]);
  return {
    ...state, error, loading,
    more: () => state.cursor && fetchPage(state.cursor),
    reload: () => fetchPage(null),
  };
}

/** A form's submission: busy flag, the last error, and a success message. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | null>(null);
  const run = async (action: () => Promise<string | null | void>) => {
    setBusy(true);
    setError(undefined);
    setDone(null);
    try {
      const message = await action();
      setDone(message ?? null);
      return true;
    } catch (problem) {
      setError(problem);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, done, run, setDone, setError };
}
