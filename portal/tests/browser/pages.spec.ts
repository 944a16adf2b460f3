/** Every page of the portal: axe-core finds no serious or critical violation, at a desktop and at a phone's size,
 * and on a phone nothing scrolls sideways. */

import { expect, type Page, test } from '@playwright/test';

import { activated, api, expectAccessible, expectNoHorizontalScroll, openSection, PDF_BYTES, type Person, professional, screenshot, signIn, stack } from './support';

const SECTIONS = ['Accueil', 'Documents', 'Historique des accès', 'Partage et professionnels', 'Aidants', 'Messagerie',
  'Profil médical', 'Vaccinations', 'Mesures', 'Agenda', 'Prévention', 'Applications', 'Export des données', 'Invitations reçues', 'Notifications',
  'Mon compte'];

/** A space with something on every page: a document, an access, a message, a measurement, an appointment. */
async function furnished(): Promise<{ person: Person; conversation: string }> {
  const person = await activated({ given_name: 'Anne-Sophie', family_name: 'de La Rochefoucauld-Montmorency' });
  const pro = professional();
  await api('POST', `/patients/${person.nir}/care-relationship`, pro.token, {});
  const ticket = await api('POST', `/patients/${person.nir}/documents`, pro.token, {
    title: 'Compte rendu d’hospitalisation au centre hospitalier universitaire de Clermont-Ferrand', type_code: '34112-3',
    content_type: 'application/pdf', size: PDF_BYTES.length,
  });
  await fetch(ticket.json.upload_url, { method: 'PUT', headers: ticket.json.upload_headers, body: PDF_BYTES });
  await api('GET', `/patients/${person.nir}/documents`, pro.token);
  const started = await api('POST', '/conversations', pro.token, { patient_ins: person.nir, subject: 'Suivi après votre hospitalisation', body: 'Bonjour, comment allez-vous ?' });
  const token = (await api('POST', '/dev/sign-in', null, { nir: person.nir })).json.token;
  await api('POST', `/patients/${person.nir}/measurements`, token, { code: '29463-7', value: 70, unit: 'kg', effective_at: '2026-01-10T08:00:00Z' });
  await api('POST', `/patients/${person.nir}/appointments`, token, { title: 'Consultation de suivi', start: '2027-01-10T09:00:00Z' });
  return { person, conversation: started.json.conversation_id };
}

async function everyPage(page: Page, check: (where: string) => Promise<void>): Promise<void> {
  const { person } = await furnished();
  await page.goto(`${stack().portal}/connexion`);
  await check('the sign-in page');
  await page.goto(`${stack().portal}/activation`);
  await check('the activation page');
  await signIn(page, person);
  for (const section of SECTIONS) {
    await openSection(page, section);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: 'Chargement' })).toHaveCount(0);
    await check(`the page « ${section} »`);
  }
  await openSection(page, 'Messagerie');
  await page.getByRole('link', { name: 'Suivi après votre hospitalisation' }).click();
  await expect(page.getByText('Bonjour, comment allez-vous ?')).toBeVisible();
  await check('a conversation');
}

test('every page passes axe-core at a desktop size', async ({ page }) => {
  test.setTimeout(120_000);
  await everyPage(page, (where) => expectAccessible(page, where));
});

test('every page fits a phone’s width and passes axe-core there', async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 360, height: 740 });
  await everyPage(page, async (where) => {
    await expectNoHorizontalScroll(page, where);
    await expectAccessible(page, `${where} (phone)`);
  });
  await openSection(page, 'Documents');
  await screenshot(page, 'documents-telephone');
});

test('a path the portal does not know shows a page in French, not an error of the server', async ({ page }) => {
  const person = await activated();
  await signIn(page, person);
  await page.evaluate(() => { window.history.pushState(null, '', '/nulle-part'); window.dispatchEvent(new PopStateEvent('popstate')); });
  await expect(page.getByRole('heading', { level: 1, name: 'Page introuvable' })).toBeVisible();
  const answer = await page.request.get(`${stack().portal}/documents`);
  expect(answer.status()).toBe(200); // the single-page fallback
  expect(answer.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
});
