/** Export (CONTRACT §10) as a person would click: ask, wait while it is built, download the ZIP. */

import { readFileSync } from 'node:fs';

import { expect, test } from '@playwright/test';

import { activated, api, expectAccessibleAtBothSizes, openSection, PDF_BYTES, professional, screenshot, signIn } from './support';

test('a person exports their space and downloads the ZIP', async ({ page }) => {
  test.setTimeout(120_000);
  const person = await activated();
  const pro = professional();
  expect((await api('POST', `/patients/${person.nir}/care-relationship`, pro.token, {})).status).toBe(201);
  const ticket = await api('POST', `/patients/${person.nir}/documents`, pro.token, {
    title: 'Compte rendu de consultation', type_code: '34112-3', content_type: 'application/pdf', size: PDF_BYTES.length,
  });
  expect(ticket.status, JSON.stringify(ticket.json)).toBe(201);
  await fetch(ticket.json.upload_url, { method: 'PUT', headers: ticket.json.upload_headers, body: PDF_BYTES });

  await signIn(page, person);
  await openSection(page, 'Export des données');
  await expectAccessibleAtBothSizes(page, 'the export page');
  await page.getByRole('button', { name: 'Demander l’export des données' }).click();
  await expect(page.getByRole('heading', { name: 'Export prêt' })).toBeVisible({ timeout: 90_000 });
  await expect(page.getByText(/^Votre export est prêt \(.+\) : téléchargez-le avant le/)).toBeVisible();
  await expectAccessibleAtBothSizes(page, 'the export page, export ready');
  await screenshot(page, 'export');

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Télécharger l’export (ZIP)' }).click();
  const file = await download;
  const bytes = readFileSync((await file.path())!);
  expect(bytes.subarray(0, 2).toString()).toBe('PK'); // a ZIP
  await expect(page.getByText('Le téléchargement de votre export a commencé.')).toBeVisible();

  // Coming back to the page during the visit follows the same export.
  await openSection(page, 'Accueil');
  await openSection(page, 'Export des données');
  await expect(page.getByRole('button', { name: 'Télécharger l’export (ZIP)' })).toBeVisible();
});
