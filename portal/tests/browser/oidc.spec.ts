/** Every stage but local: the portal signs in with OIDC, authorization code and PKCE (oidc-client-ts), against the
 * issuer its /config.json names. The identity provider is played by the test (routes answered in the browser, at
 * a reserved .invalid host nothing ever resolves); the access token it hands out is one the local API accepts. */

import { createHash } from 'node:crypto';

import { expect, test } from '@playwright/test';

import { activated, stack, token } from './support';

// The provider's origin is not in the local portal's connect-src (in AWS, infra/ adds the real issuer's): this test
// is about the flow, not the policy, which tests/infra checks.
test.use({ bypassCSP: true });

const AUTHORITY = 'https://connexion.patients.invalid/realms/patients';
const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

test('a person signs in at the identity provider: authorization code with PKCE, the token kept in memory', async ({ page }) => {
  const person = await activated({ given_name: 'Inès' });
  const portal = stack().portal;
  const config = {
    api_url: stack().api, stage: 'staging',
    oidc: { authority: AUTHORITY, client_id: 'ens-portal', scope: 'openid', redirect_uri: `${portal}/connexion/retour` },
  };
  const cors = { 'Access-Control-Allow-Origin': portal };
  let authorize: URLSearchParams | null = null;
  let exchange: URLSearchParams | null = null;
  const now = Math.floor(Date.now() / 1000);
  const idToken = `${base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url(JSON.stringify({
    iss: AUTHORITY, aud: 'ens-portal', sub: 'patient-1', iat: now, exp: now + 300,
  }))}.`;

  await page.route(`${portal}/config.json`, (route) => route.fulfill({ json: config }));
  await page.route(`${AUTHORITY}/.well-known/openid-configuration`, (route) => route.fulfill({ headers: cors, json: {
    issuer: AUTHORITY, authorization_endpoint: `${AUTHORITY}/auth`, token_endpoint: `${AUTHORITY}/token`,
    jwks_uri: `${AUTHORITY}/certs`, response_types_supported: ['code'], code_challenge_methods_supported: ['S256'],
  } }));
  await page.route(`${AUTHORITY}/auth?**`, (route) => {
    authorize = new URL(route.request().url()).searchParams;
    return route.fulfill({ status: 302, headers: { Location: `${portal}/connexion/retour?code=one-time-code&state=${authorize.get('state')}` } });
  });
  await page.route(`${AUTHORITY}/token`, (route) => {
    exchange = new URLSearchParams(route.request().postData() ?? '');
    return route.fulfill({ headers: cors, json: {
      access_token: token('--role', 'patient', '--ins', person.nir), token_type: 'Bearer', expires_in: 3600, id_token: idToken,
    } });
  });

  await page.goto(`${portal}/connexion`);
  await expect(page.getByLabel('Numéro de sécurité sociale')).toHaveCount(0); // no development sign-in here
  await page.getByRole('button', { name: 'Se connecter avec mon compte' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Mon espace santé', exact: true })).toBeVisible();
  await expect(page.getByText('Bonjour Inès.')).toBeVisible();

  expect(authorize!.get('response_type')).toBe('code');
  expect(authorize!.get('client_id')).toBe('ens-portal');
  expect(authorize!.get('redirect_uri')).toBe(`${portal}/connexion/retour`);
  expect(authorize!.get('code_challenge_method')).toBe('S256');
  expect(exchange!.get('grant_type')).toBe('authorization_code');
  expect(exchange!.get('code')).toBe('one-time-code');
  const verifier = exchange!.get('code_verifier')!;
  expect(base64url(createHash('sha256').update(verifier).digest())).toBe(authorize!.get('code_challenge'));

  const stored = await page.evaluate(() => JSON.stringify({ ...window.localStorage }) + JSON.stringify({ ...window.sessionStorage }));
  expect(stored).not.toContain('eyJ'); // no token in either storage; the one-time state is gone too
  expect(stored).not.toContain(verifier);
});
