/** A small history router: paths are the portal's own (never an INS: the space shown is held in memory). */

import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

export function currentPath(): string {
  return window.location.pathname || '/';
}

let navigations = 0;

/** Whether the person moved inside the portal since it loaded (then focus goes to each new page's title). */
export function hasNavigated(): boolean {
  return navigations > 0;
}

export function navigate(path: string, replace = false): void {
  if (path === currentPath() && !replace) return;
  navigations += 1;
  if (replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

window.addEventListener('popstate', () => {
  navigations += 1;
  for (const listener of listeners) listener();
});

export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const update = () => setPath(currentPath());
    listeners.add(update);
    update(); // a move between the first render and this effect is not missed
    return () => void listeners.delete(update);
  }, []);
  return path;
}

/** `/messages/abc` against `/messages/:id` → `{id: 'abc'}`; null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i += 1) {
    if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return null;
  }
  return params;
}

/** Internal links: the SPA navigates without reloading (the token lives in memory). */
export function onLinkClick(event: MouseEvent, path: string): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(path);
}
