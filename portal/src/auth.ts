/** Who is signed in. The bearer token lives in this module's memory only: never in localStorage or sessionStorage,
 * so a script left in storage cannot take it and it dies with the tab.
 *
 * - local stage: the development sign-in (`POST /dev/sign-in` with the NIR; the API refuses it in every other stage);
 * - other stages: OIDC authorization code with PKCE (oidc-client-ts) against the patients' identity provider.
 *   The one-time `state` and PKCE `code_verifier` must survive the redirect to the provider and back, which
 *   memory cannot: they go to sessionStorage (this tab only, removed by the callback; no token ever goes there).
 */

import type { OidcSettings } from './config';

export interface Session {
  token: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

let current: Session | null = null;
const listeners = new Set<(session: Session | null) => void>();

export function session(): Session | null {
  if (current && current.expiresAt <= Date.now()) current = null;
  return current;
}

export function setSession(next: Session | null): void {
  current = next;
  for (const listener of listeners) listener(next);
}

export function onSessionChange(listener: (session: Session | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function sessionFromToken(token: string, expiresIn: number, now: number = Date.now()): Session {
  return { token, expiresAt: now + Math.max(0, expiresIn - 30) * 1000 };
}

// -- OIDC (every stage but local) --------------------------------------------------------------------------------

async function manager(settings: OidcSettings) {
  const { UserManager, WebStorageStateStore, InMemoryWebStorage } = await import('oidc-client-ts');
  return new UserManager({
    authority: settings.authority,
    client_id: settings.client_id,
    redirect_uri: settings.redirect_uri,
    post_logout_redirect_uri: settings.post_logout_redirect_uri,
    scope: settings.scope,
    response_type: 'code', // authorization code; oidc-client-ts always adds PKCE (S256)
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }), // tokens: memory only
    stateStore: new WebStorageStateStore({ store: window.sessionStorage, prefix: 'ens.oidc.' }), // see above
    automaticSilentRenew: false,
    monitorSession: false,
  });
}

export async function startOidcSignIn(settings: OidcSettings): Promise<void> {
  await (await manager(settings)).signinRedirect();
}

export async function completeOidcSignIn(settings: OidcSettings): Promise<Session> {
  const user = await (await manager(settings)).signinRedirectCallback();
  const token = user.access_token;
  const expiresIn = user.expires_in ?? 300;
  const signed = sessionFromToken(token, expiresIn);
  setSession(signed);
  return signed;
}

export async function oidcSignOut(settings: OidcSettings): Promise<void> {
  setSession(null);
  await (await manager(settings)).signoutRedirect().catch(() => undefined);
}
