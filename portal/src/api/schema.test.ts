// @vitest-environment node
/** The committed client must be what openapi-typescript generates from the committed OpenAPI document (which a
 * Python test compares with the API's own): a stale client fails here. Regenerate with `make portal-client`. */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import openapiTS, { astToString } from 'openapi-typescript';
import { expect, it } from 'vitest';

it('the generated API client matches the OpenAPI document', async () => {
  const document = readFileSync(fileURLToPath(new URL('../../openapi.json', import.meta.url)), 'utf8');
  const committed = readFileSync(fileURLToPath(new URL('./schema.d.ts', import.meta.url)), 'utf8');
  const ast = await openapiTS(JSON.parse(document), { defaultNonNullable: false });
  const fresh = astToString(ast);
  const strip = (text: string) => text.replace(/^\/\*\*[\s\S]*?\*\/\s*/, '').trim();
  expect(strip(committed), 'portal/src/api/schema.d.ts is stale: run `make portal-client`').toBe(strip(fresh));
}, 60_000);
