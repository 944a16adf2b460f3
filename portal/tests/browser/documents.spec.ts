/** §11 "list, filter, download, upload, mask and delete documents", by mouse and with the keyboard only. */

import { expect, test } from '@playwright/test';

import { tabTo } from './keyboard';
import { activated, api, expectAccessible, openSection, PDF_BYTES, type Person, professional, screenshot, signIn } from './support';

/** A professional feeds the record through the API (presigned PUT), as their software would. */
async function professionalAdds(person: Person, title: string, typeCode: string): Promise<void> {
  const pro = professional();
  const ticket = await api('POST', `/patients/${person.nir}/documents`, pro.token, {
    title, type_code: typeCode, content_type: 'application/pdf', size: PDF_BYTES.length,
  });
  expect(ticket.status, JSON.stringify(ticket.json)).toBe(201);
  const put = await fetch(ticket.json.upload_url, { method: 'PUT', headers: ticket.json.upload_headers, body: PDF_BYTES });
  expect(put.status).toBeLessThan(300);
}

async function waitForDocuments(person: Person, count: number): Promise<void> {
  const { token } = await api('POST', '/dev/sign-in', null, { nir: person.nir }).then((r) => r.json);
  await expect.poll(async () => {
    const list = await api('GET', `/patients/${person.nir}/documents?limit=100`, token);
    return list.json.items.filter((d: { status: string }) => d.status === 'available').length;
  }, { timeout: 30_000 }).toBe(count);
}

test('a person uploads, filters, downloads, masks and deletes documents', async ({ page }) => {
  const person = await activated();
  await signIn(page, person);
  await openSection(page, 'Documents');
  await expect(page.getByRole('heading', { level: 1, name: 'Documents' })).toBeVisible();
  await expect(page.getByText('Aucun document pour le moment.')).toBeVisible();

  // Upload: the API gives a presigned URL, the browser sends the bytes there, the S3 event checks them.
  await page.getByLabel('Titre').fill('Ordonnance du Dr Martin');
  await page.getByLabel('Type de document', { exact: true }).first().selectOption({ label: 'Prescription de produits de santé (Ordonnances et soins)' });
  await page.getByLabel('Fichier').setInputFiles({ name: 'ordonnance.pdf', mimeType: 'application/pdf', buffer: PDF_BYTES });
  await page.getByRole('button', { name: 'Ajouter le document' }).click();
  await expect(page.getByText('Le document a été ajouté à l’espace.')).toBeVisible({ timeout: 30_000 });
  const list = page.getByRole('list', { name: 'Documents' });
  await expect(list.getByRole('heading', { name: 'Ordonnance du Dr Martin' })).toBeVisible();

  // A laboratory's result arrives too; the filter by category keeps only it.
  await professionalAdds(person, 'Bilan sanguin', '11502-2');
  await waitForDocuments(person, 2);
  await openSection(page, 'Accueil');
  await openSection(page, 'Documents');
  await expect(list.getByRole('heading', { level: 3 })).toHaveCount(2);
  await page.getByLabel('Catégorie').selectOption({ label: 'Biologie' });
  await expect(list.getByRole('heading', { level: 3 })).toHaveCount(1);
  await expect(list.getByRole('heading', { name: 'Bilan sanguin' })).toBeVisible();
  await page.getByLabel('Catégorie').selectOption({ label: 'Radio/imagerie' });
  await expect(page.getByText('Aucun document ne correspond à ces filtres.')).toBeVisible();
  await page.getByLabel('Catégorie').selectOption({ label: 'Toutes les catégories' });
  await expect(list.getByRole('heading', { level: 3 })).toHaveCount(2);
  await expectAccessible(page, 'the documents page');
  await screenshot(page, 'documents');

  // Download: the presigned GET of the document's bytes.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Télécharger « Bilan sanguin »' }).click();
  expect((await download).suggestedFilename()).toContain('Bilan sanguin');

  // Mask from professionals, then delete.
  await page.getByRole('button', { name: 'Masquer « Bilan sanguin »' }).click();
  await expect(page.getByRole('button', { name: 'Démasquer « Bilan sanguin »' })).toBeVisible();
  await expect(page.getByText('Masqué aux professionnels')).toBeVisible();
  await page.getByRole('button', { name: 'Supprimer « Ordonnance du Dr Martin »' }).click();
  await page.getByRole('button', { name: 'Confirmer la suppression' }).click();
  await expect(list.getByRole('heading', { level: 3 })).toHaveCount(1);
  await expect(list.getByRole('heading', { name: 'Ordonnance du Dr Martin' })).toHaveCount(0);
});

test('a file of the wrong kind is refused before anything is sent, with a sentence next to the field', async ({ page }) => {
  const person = await activated();
  await signIn(page, person);
  await openSection(page, 'Documents');
  await page.getByLabel('Type de document', { exact: true }).first().selectOption({ label: 'Prescription de produits de santé (Ordonnances et soins)' });
  await page.getByLabel('Fichier').setInputFiles({ name: 'notes.docx', mimeType: 'application/msword', buffer: Buffer.from('x') });
  await page.getByRole('button', { name: 'Ajouter le document' }).click();
  await expect(page.getByText('Ce format n’est pas accepté')).toBeVisible();
});

test('long lists are paged with the API’s cursor', async ({ page }) => {
  test.setTimeout(120_000);
  const person = await activated();
  for (let i = 1; i <= 21; i += 1) await professionalAdds(person, `Compte rendu n° ${i}`, '11488-4');
  await waitForDocuments(person, 21);
  await signIn(page, person);
  await openSection(page, 'Documents');
  const list = page.getByRole('list', { name: 'Documents' });
  await expect(list.getByRole('heading', { level: 3 })).toHaveCount(20);
  await page.getByRole('button', { name: 'Afficher plus de documents' }).click();
  await expect(list.getByRole('heading', { level: 3 })).toHaveCount(21);
  await expect(page.getByRole('button', { name: 'Afficher plus de documents' })).toHaveCount(0);
});

test('the documents page works with the keyboard only', async ({ page }) => {
  const person = await activated();
  await signIn(page, person);
  await tabTo(page, page.getByRole('navigation', { name: /Rubriques/ }).getByRole('link', { name: 'Documents', exact: true }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Documents' })).toBeFocused();

  await tabTo(page, page.getByLabel('Titre'));
  await page.keyboard.type('Compte rendu de kinésithérapie');
  await page.keyboard.press('Tab');
  const type = page.getByLabel('Type de document', { exact: true }).first();
  await expect(type).toBeFocused();
  await type.press('ArrowDown'); // the first type of the list
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Fichier')).toBeFocused();
  // Space (or Enter) on the focused file field opens the system's file chooser; the test answers it.
  let chooser = null;
  for (const key of ['Space', 'Enter', 'Space']) {
    const opened = page.waitForEvent('filechooser', { timeout: 5_000 }).catch(() => null);
    await page.keyboard.press(key);
    chooser = await opened;
    if (chooser) break;
  }
  expect(chooser, 'the file chooser never opened from the keyboard').not.toBeNull();
  await chooser!.setFiles({ name: 'cr.pdf', mimeType: 'application/pdf', buffer: PDF_BYTES });
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Ajouter le document' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByText('Le document a été ajouté à l’espace.')).toBeVisible({ timeout: 30_000 });

  await tabTo(page, page.getByRole('button', { name: 'Masquer « Compte rendu de kinésithérapie »' }));
  await page.keyboard.press('Enter');
  await expect(page.getByText('Masqué aux professionnels')).toBeVisible();
  await tabTo(page, page.getByRole('button', { name: 'Supprimer « Compte rendu de kinésithérapie »' }));
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByRole('button', { name: 'Confirmer la suppression' }), 5);
  await page.keyboard.press('Enter');
  await expect(page.getByText('Aucun document pour le moment.')).toBeVisible();
});
