/** The runtime configuration (`/config.json`), written per stage: locally by `ens_cli.portal_server`, in AWS by
 * `infra/` next to the build. One build serves every stage. */

export interface OidcSettings {
  /** The patients' identity provider (issuer URL; its discovery document gives the endpoints). */
  authority: string;
  client_id: string;
  scope: string;
  /** Where the provider sends the person back, on this portal (e.g. https://portal/connexion/retour). */
  redirect_uri: string;
  post_logout_redirect_uri?: string;
}

export interface PortalConfig {
  api_url: string;
  stage: string;
  oidc: OidcSettings | null;
}

export class ConfigError extends Error {}

/** Validates what /config.json holds; a broken deployment fails with a sentence, not a blank page. */
export function parseConfig(raw: unknown): PortalConfig {
  if (typeof raw !== 'object' || raw === null) throw new ConfigError('La configuration du portail est illisible.');
  const value = raw as Record<string, unknown>;
  const api = value.api_url;
  if (typeof api !== 'string' || !/^https?:\/\//.test(api)) {
    throw new ConfigError("La configuration du portail n'indique pas l'adresse de l'API (api_url).");
  }
  const stage = typeof value.stage === 'string' && value.stage ? value.stage : 'local';
  let oidc: OidcSettings | null = null;
  if (value.oidc !== null && value.oidc !== undefined) {
    const o = value.oidc as Record<string, unknown>;
    for (const key of ['authority', 'client_id', 'redirect_uri'] as const) {
      if (typeof o[key] !== 'string' || !o[key]) {
        throw new ConfigError(`La configuration de connexion (oidc.${key}) est incomplète.`);
      }
    }
    if (!String(o.authority).startsWith('https://')) {
      throw new ConfigError("Le fournisseur d'identité (oidc.authority) doit être une adresse https.");
    }
    oidc = {
      authority: String(o.authority),
      client_id: String(o.client_id),
      redirect_uri: String(o.redirect_uri),
      scope: typeof o.scope === 'string' && o.scope ? o.scope : 'openid',
      post_logout_redirect_uri: typeof o.post_logout_redirect_uri === 'string' ? o.post_logout_redirect_uri : undefined,
    };
  }
  if (stage !== 'local' && oidc === null) {
    throw new ConfigError(`L'environnement « ${stage} » doit configurer la connexion (oidc).`);
  }
  return { api_url: api.replace(/\/+$/, ''), stage, oidc };
}

export async function loadConfig(fetcher: typeof fetch = fetch): Promise<PortalConfig> {
  const answer = await fetcher('/config.json', { cache: 'no-store' });
  if (!answer.ok) throw new ConfigError('La configuration du portail est introuvable.');
  return parseConfig(await answer.json());
}

/** The local stage signs in with the NIR (development sign-in); every other stage through OIDC. */
export function usesDevelopmentSignIn(config: PortalConfig): boolean {
  return config.stage === 'local' && config.oidc === null;
}
