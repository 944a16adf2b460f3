/** §11 "activate their space with the NIR, card serial and code", with the keyboard only; then sign in. */

import { expect, test } from '@playwright/test';

import { tabTo } from './keyboard';
import { enrol, expectAccessible, latestCode, screenshot, stack } from './support';

test('a person activates their space with the keyboard only, then signs in', async ({ page }) => {
  const person = await enrol({ given_name: 'Louise', family_name: 'Bernard' });
  await page.goto(`${stack().portal}/connexion`);
  await expectAccessible(page, 'the sign-in page');
  await screenshot(page, 'connexion');

  // The skip link comes first, then the way to the activation form; then its fields, without a mouse.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Contenu' })).toBeFocused();
  await tabTo(page, page.getByRole('link', { name: 'Activer mon espace' }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Activer mon espace' })).toBeVisible();
  await expectAccessible(page, 'the activation page');

  await tabTo(page, page.getByLabel('Numéro de sécurité sociale'));
  await page.keyboard.type(person.nir);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Numéro de série de la carte Vitale')).toBeFocused();
  await page.keyboard.type(person.vitale_serial);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Code provisoire')).toBeFocused();
  await page.keyboard.type(latestCode(person.nir));
  await screenshot(page, 'activation');
  await page.keyboard.press('Enter');
  await expect(page.getByText('Votre espace est activé')).toBeVisible();

  await tabTo(page, page.getByRole('link', { name: 'Aller à la connexion' }));
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByLabel('Numéro de sécurité sociale'));
  await page.keyboard.type(person.nir);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Mon espace santé', exact: true })).toBeVisible();
  await expect(page.getByText('Bonjour Louise.')).toBeVisible();

  // The token lives in the page's memory only: nothing in localStorage or sessionStorage.
  const stored = await page.evaluate(() => JSON.stringify({ ...window.localStorage }) + JSON.stringify({ ...window.sessionStorage }));
  expect(stored).not.toContain('eyJ');
});

test('a wrong code is refused with the API’s sentence, which takes the focus; a new code can be asked', async ({ page }) => {
  const person = await enrol();
  await page.goto(`${stack().portal}/activation`);
  await page.getByLabel('Numéro de sécurité sociale').fill(person.nir);
  await page.getByLabel('Numéro de série de la carte Vitale').fill(person.vitale_serial);
  await page.getByLabel('Code provisoire').fill('WRONGCODE123');
  await page.getByRole('button', { name: 'Activer mon espace' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('incorrect');
  await expect(alert).toBeFocused();
  await screenshot(page, 'activation-erreur');
  const before = latestCode(person.nir);
  await page.getByRole('button', { name: 'Recevoir un nouveau code' }).click();
  // Right after a failure the API asks to wait (429): either way the person reads the API's answer.
  await expect(page.getByText('Un nouveau code vous a été envoyé').or(page.getByRole('alert'))).toBeVisible();
  if (await page.getByText('Un nouveau code vous a été envoyé').isVisible()) expect(latestCode(person.nir)).not.toBe(before);
});

test('signing in to a space not yet activated shows the API’s sentence and the way to activate', async ({ page }) => {
  const person = await enrol();
  await page.goto(`${stack().portal}/connexion`);
  await page.getByLabel('Numéro de sécurité sociale').fill(person.nir);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByRole('link', { name: 'activez-le' })).toBeVisible();
});

test('a NIR that is not valid is refused with the API’s sentence naming the field', async ({ page }) => {
  await page.goto(`${stack().portal}/connexion`);
  await page.getByLabel('Numéro de sécurité sociale').fill('123');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByRole('alert')).toContainText('nir');
});
