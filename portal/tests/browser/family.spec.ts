/** One scenario per task of CONTRACT §11 that §10 adds: notification preferences and centre, changing and
 * cancelling appointments, where a prevention recommendation stands. */

import { expect, test } from '@playwright/test';

import { activated, api, expectAccessibleAtBothSizes, openSection, professional, screenshot, setCheckbox, signIn } from './support';

async function patientToken(nir: string): Promise<string> {
  return (await api('POST', '/dev/sign-in', null, { nir })).json.token;
}

test('a person switches a kind of notification off, and sees what is always sent', async ({ page }) => {
  const person = await activated();
  await signIn(page, person);
  await openSection(page, 'Mon compte');
  await expect(page.getByRole('heading', { name: 'Préférences de notification' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Notifications toujours envoyées' }).getByText('Accès en urgence')).toBeVisible();
  await setCheckbox(page, 'Nouveaux messages', false);
  await page.getByRole('button', { name: 'Enregistrer mes préférences' }).click();
  await expect(page.getByText('Vos préférences de notification sont enregistrées.')).toBeVisible();
  const token = await patientToken(person.nir);
  const saved = (await api('GET', '/me/notification-preferences', token)).json;
  expect(saved).toMatchObject({ message: false, document: true, appointment: true, synchronised_service: true, prevention: true });
  // Coming back shows what is stored.
  await openSection(page, 'Accueil');
  await openSection(page, 'Mon compte');
  await expect(page.getByLabel('Nouveaux messages')).not.toBeChecked();
  await expect(page.getByLabel('Nouveaux documents')).toBeChecked();
  await expectAccessibleAtBothSizes(page, 'the account page with its preferences');
});

test('a person reads the notification centre and marks a notification read', async ({ page }) => {
  const person = await activated();
  const pro = professional();
  const started = await api('POST', '/conversations', pro.token, {
    patient_ins: person.nir, subject: 'Votre prochain rendez-vous', body: 'Bonjour, pensez à votre bilan.',
  });
  expect(started.status).toBe(201);
  const token = await patientToken(person.nir);
  await expect.poll(async () => (await api('GET', '/me/notifications', token)).json.items
    .some((n: { kind: string }) => n.kind === 'new_message')).toBe(true);

  await signIn(page, person);
  await openSection(page, 'Notifications');
  const list = page.getByRole('list', { name: 'Notifications reçues' });
  const message = list.getByRole('listitem').filter({ hasText: 'Nouveau message dans votre espace santé' });
  await expect(message).toContainText('Non lue');
  await expect(message).toContainText('Mon espace');
  await screenshot(page, 'notifications');
  await message.getByRole('button', { name: /^Marquer « Nouveau message dans votre espace santé » comme lue/ }).click();
  await expect(page.getByText('« Nouveau message dans votre espace santé » est marquée comme lue.')).toBeVisible();
  await expect(message).not.toContainText('Non lue');
  const items = (await api('GET', '/me/notifications', token)).json.items as { kind: string; read: boolean }[];
  expect(items.find((n) => n.kind === 'new_message')?.read).toBe(true);
  // The notice never carries the code it sent (the centre keeps no secret).
  await expect(list).not.toContainText(/code provisoire : \d/);
});

test('a person changes an appointment and its reminder, then cancels it', async ({ page }) => {
  const person = await activated();
  await signIn(page, person);
  await openSection(page, 'Agenda');
  await page.getByLabel('Objet').fill('Kinésithérapeute');
  await page.getByLabel('Début').fill('2027-04-20T17:00');
  await page.getByLabel('Me le rappeler le (facultatif)').fill('2027-04-20T09:00');
  await page.getByRole('button', { name: 'Ajouter le rendez-vous' }).click();
  await expect(page.getByText('Le rendez-vous est ajouté à l’agenda.')).toBeVisible();
  const item = page.getByRole('list', { name: 'Rendez-vous' }).getByRole('listitem').filter({ hasText: 'Kinésithérapeute' });
  await expect(item).toContainText('rappel le 20 avril 2027 à 09:00');

  await item.getByRole('button', { name: 'Modifier « Kinésithérapeute »' }).click();
  const form = page.getByRole('form', { name: 'Modifier « Kinésithérapeute »' });
  await expect(form).toBeVisible();
  await expectAccessibleAtBothSizes(page, 'the agenda with an appointment being changed');
  // A reminder after the start: the API's sentence, next to the field it names.
  await form.getByLabel('Me le rappeler le (facultatif)').fill('2027-04-21T09:00');
  await form.getByRole('button', { name: 'Enregistrer les modifications' }).click();
  await expect(form.getByRole('alert').first()).toContainText('reminder_at');
  await form.getByLabel('Objet').fill('Kinésithérapeute (séance 2)');
  await form.getByLabel('Début', { exact: true }).fill('2027-04-22T18:00');
  await form.getByLabel('Me le rappeler le (facultatif)').fill('');
  await form.getByRole('button', { name: 'Enregistrer les modifications' }).click();
  await expect(page.getByText('Le rendez-vous « Kinésithérapeute (séance 2) » est modifié.')).toBeVisible();
  const moved = page.getByRole('list', { name: 'Rendez-vous' }).getByRole('listitem').filter({ hasText: 'Kinésithérapeute (séance 2)' });
  await expect(moved).toContainText('22 avril 2027 à 18:00');
  await expect(moved).not.toContainText('rappel le');
  const token = await patientToken(person.nir);
  const stored = (await api('GET', `/patients/${person.nir}/appointments`, token)).json.items;
  expect(stored).toHaveLength(1);
  expect(stored[0]).toMatchObject({ title: 'Kinésithérapeute (séance 2)', start: '2027-04-22T16:00:00Z' });
  expect(stored[0].reminder_at ?? null).toBeNull();

  await moved.getByRole('button', { name: 'Annuler le rendez-vous « Kinésithérapeute (séance 2) »' }).click();
  await page.getByRole('button', { name: 'Confirmer l’annulation' }).click();
  await expect(page.getByText('Le rendez-vous « Kinésithérapeute (séance 2) » est annulé.')).toBeVisible();
  await expect(page.getByText('Aucun rendez-vous dans l’agenda.')).toBeVisible();
  expect((await api('GET', `/patients/${person.nir}/appointments`, token)).json.items).toHaveLength(0);
});

test('a person says a recommendation is done, and postpones another', async ({ page }) => {
  const person = await activated({ birth_date: '1970-02-01' });
  const token = await patientToken(person.nir);
  const before = (await api('GET', `/patients/${person.nir}/reminders`, token)).json.items as { reminder_id: string; label: string }[];
  expect(before.length, 'a woman of 56 has recommendations').toBeGreaterThanOrEqual(2);
  const [first, second] = before;

  await signIn(page, person);
  await openSection(page, 'Prévention');
  const list = page.getByRole('list', { name: 'Recommandations' });
  const one = page.getByRole('form', { name: `Où en êtes-vous : ${first.label}` });
  await one.getByLabel('Où en êtes-vous ?').selectOption({ label: 'Fait' });
  await one.getByRole('button', { name: 'Enregistrer' }).click();
  await expect(page.getByText(`« ${first.label} » : fait.`)).toBeVisible();
  await expect(list.getByRole('listitem').filter({ hasText: first.label })).toContainText('Fait');

  const two = page.getByRole('form', { name: `Où en êtes-vous : ${second.label}` });
  await two.getByLabel('Où en êtes-vous ?').selectOption({ label: 'Reporté' });
  await two.getByRole('button', { name: 'Enregistrer' }).click(); // no day: the API names the missing field
  await expect(two.getByRole('alert').first()).toContainText('postponed_until');
  await expectAccessibleAtBothSizes(page, 'the prevention page with a postponement being chosen');
  const day = new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10);
  await two.getByLabel('Me le rappeler le').fill(day);
  await two.getByRole('button', { name: 'Enregistrer' }).click();
  await expect(page.getByText(`« ${second.label} » : reporté au`)).toBeVisible();
  await screenshot(page, 'prevention');

  const after = (await api('GET', `/patients/${person.nir}/reminders`, token)).json.items as { reminder_id: string; status: string; postponed_until?: string }[];
  expect(after.find((r) => r.reminder_id === first.reminder_id)?.status).toBe('done');
  expect(after.find((r) => r.reminder_id === second.reminder_id)).toMatchObject({ status: 'postponed', postponed_until: day });
});
