/** One scenario per task of CONTRACT §11 that the API offers today (documents and activation: their own files). */

import { readFileSync } from 'node:fs';

import { expect, test } from '@playwright/test';

import { activated, api, enrol, ens, openSection, professional, screenshot, setCheckbox, signIn } from './support';

test('a parent switches between their own space and their child’s', async ({ page }) => {
  const parent = await activated({ given_name: 'Camille' });
  // The child's space opens once the 42-day opt-out window has passed (the job `opt-out-expiry`).
  const notified = new Date(Date.now() - 43 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const child = await enrol({ given_name: 'Léo', birth_date: '2016-03-01', sex: 1, legal_representative_nir: parent.nir, notified_at: notified });
  ens('job', 'opt-out-expiry');
  await signIn(page, parent);
  const switcher = page.getByLabel('Espace affiché');
  await expect(switcher).toHaveValue(parent.nir);
  await switcher.selectOption({ label: 'Espace de Léo (enfant) – Léo Martin' });
  await expect(page.getByRole('heading', { level: 1, name: 'Espace de Léo Martin' })).toBeVisible();
  // What the parent does now concerns the child: a vaccination lands in the child's space, not the parent's.
  await openSection(page, 'Vaccinations');
  await page.getByRole('textbox', { name: /^Vaccin / }).fill('ROR');
  await page.getByLabel('Date de la vaccination').fill('2017-03-01');
  await page.getByRole('button', { name: 'Ajouter la vaccination' }).click();
  await expect(page.getByRole('list', { name: 'Vaccinations' }).getByText('ROR')).toBeVisible();
  const parentToken = (await api('POST', '/dev/sign-in', null, { nir: parent.nir })).json.token;
  expect((await api('GET', `/patients/${child.nir}/vaccinations`, parentToken)).json.items).toHaveLength(1);
  expect((await api('GET', `/patients/${parent.nir}/vaccinations`, parentToken)).json.items).toHaveLength(0);
  // The child's space has no "Mon compte" (closing is the person's own space only).
  await expect(page.getByRole('navigation', { name: /Rubriques/ }).getByRole('link', { name: 'Mon compte' })).toHaveCount(0);
  // Switching keeps the section: the parent's own vaccinations, empty.
  await switcher.selectOption({ label: 'Mon espace – Camille Martin' });
  await expect(page.getByText('Aucune vaccination enregistrée.')).toBeVisible();
  await openSection(page, 'Accueil');
  await expect(page.getByRole('heading', { level: 1, name: 'Mon espace santé', exact: true })).toBeVisible();
  await screenshot(page, 'accueil');
});

test('the access log shows a professional’s visit', async ({ page }) => {
  const person = await activated();
  const pro = professional();
  expect((await api('POST', `/patients/${person.nir}/care-relationship`, pro.token, {})).status).toBe(201);
  expect((await api('GET', `/patients/${person.nir}/documents`, pro.token)).status).toBe(200);
  await signIn(page, person);
  await openSection(page, 'Historique des accès');
  const log = page.getByRole('list', { name: 'Accès à l’espace' });
  await expect(log.getByText(`n° ${pro.rpps} a consulté la liste des documents`)).toBeVisible();
  await screenshot(page, 'historique');
});

test('a person authorises and blocks professionals, names the attending doctor and sets emergency access', async ({ page }) => {
  const person = await activated();
  const doctor = professional();
  const other = professional('pharmacien');
  await signIn(page, person);
  await openSection(page, 'Partage et professionnels');
  await expect(page.getByText('Aucun professionnel autorisé ou bloqué pour le moment.')).toBeVisible();

  await page.getByLabel('Numéro RPPS du professionnel').fill(other.rpps);
  await page.getByLabel('Décision').selectOption({ label: 'Bloquer tout accès' });
  await page.getByRole('button', { name: 'Enregistrer la décision' }).click();
  await expect(page.getByText(`Le professionnel n° ${other.rpps} est bloqué.`)).toBeVisible();
  expect((await api('POST', `/patients/${person.nir}/care-relationship`, other.token, {})).status).toBe(403);
  await page.getByRole('button', { name: `Autoriser le n° ${other.rpps}` }).click();
  await expect(page.getByText(`Le professionnel n° ${other.rpps} est autorisé.`)).toBeVisible();
  await expect(page.getByRole('button', { name: `Bloquer le n° ${other.rpps}` })).toBeVisible();

  // A wrong RPPS: the API's sentence, next to the field it names.
  await page.getByLabel('Numéro RPPS du médecin traitant').fill('12345');
  await page.getByRole('button', { name: 'Désigner ce médecin traitant' }).click();
  await expect(page.getByRole('alert').first()).toContainText('rpps');
  await page.getByLabel('Numéro RPPS du médecin traitant').fill(doctor.rpps);
  await page.getByRole('button', { name: 'Désigner ce médecin traitant' }).click();
  await expect(page.getByText('Le médecin traitant est enregistré.')).toBeVisible();
  await expect(page.getByText(`Votre médecin traitant : n° RPPS ${doctor.rpps}`)).toBeVisible();

  await setCheckbox(page, 'Le médecin régulateur du SAMU (centre 15) à consulter mes documents', false);
  await page.getByRole('button', { name: 'Enregistrer mes choix d’urgence' }).click();
  await expect(page.getByText('Vos choix pour les situations d’urgence sont enregistrés.')).toBeVisible();
  const token = (await api('POST', '/dev/sign-in', null, { nir: person.nir })).json.token;
  expect((await api('GET', `/patients/${person.nir}/emergency-settings`, token)).json.samu).toBe(false);
  await screenshot(page, 'partage');
});

test('a person reads a professional’s message and answers it', async ({ page }) => {
  const person = await activated();
  const pro = professional();
  const started = await api('POST', '/conversations', pro.token, {
    patient_ins: person.nir, subject: 'Résultats de votre prise de sang', body: 'Bonjour, vos résultats sont normaux.',
  });
  expect(started.status).toBe(201);
  await signIn(page, person);
  await openSection(page, 'Messagerie');
  await page.getByRole('link', { name: 'Résultats de votre prise de sang' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Résultats de votre prise de sang' })).toBeVisible();
  await expect(page.getByText('Bonjour, vos résultats sont normaux.')).toBeVisible();
  await page.getByLabel('Votre réponse').fill('Merci docteur, bonne journée.');
  await page.getByRole('button', { name: 'Envoyer la réponse' }).click();
  await expect(page.getByRole('list', { name: 'Messages' }).getByText('Merci docteur, bonne journée.')).toBeVisible();
  await screenshot(page, 'messagerie');
  const thread = await api('GET', `/conversations/${started.json.conversation_id}`, pro.token);
  expect(thread.json.messages.map((m: { body: string }) => m.body)).toContain('Merci docteur, bonne journée.');
});

test('a person fills the profile, vaccinations and measurements, and downloads the PDF summary', async ({ page }) => {
  const person = await activated();
  await signIn(page, person);
  await openSection(page, 'Profil médical');
  await page.getByLabel('Allergies').fill('Pénicilline\nArachide');
  await page.getByLabel('Groupe sanguin').selectOption('O+');
  await page.getByRole('button', { name: 'Enregistrer le profil' }).click();
  await expect(page.getByText('Le profil médical est enregistré.')).toBeVisible();
  await openSection(page, 'Accueil');
  await openSection(page, 'Profil médical');
  await expect(page.getByLabel('Allergies')).toHaveValue('Pénicilline\nArachide');
  await expect(page.getByLabel('Groupe sanguin')).toHaveValue('O+');
  await screenshot(page, 'profil');

  await openSection(page, 'Vaccinations');
  await expect(page.getByText('Aucune vaccination enregistrée.')).toBeVisible();
  await page.getByRole('textbox', { name: /^Vaccin / }).fill('Grippe saisonnière');
  await page.getByLabel('Date de la vaccination').fill('2025-10-15');
  await page.getByRole('button', { name: 'Ajouter la vaccination' }).click();
  await expect(page.getByRole('list', { name: 'Vaccinations' }).getByText('Grippe saisonnière')).toBeVisible();

  await openSection(page, 'Mesures');
  await page.getByLabel('Mesure', { exact: true }).selectOption({ label: 'Poids (kg)' });
  await page.getByLabel('Valeur en kg').fill('7000');
  await page.getByRole('button', { name: 'Ajouter la mesure' }).click();
  await expect(page.getByRole('alert').first()).toBeVisible(); // out of range: the API's sentence
  await page.getByLabel('Valeur en kg').fill('68,5');
  await page.getByRole('button', { name: 'Ajouter la mesure' }).click();
  await expect(page.getByRole('list', { name: 'Mesures' }).getByText('68,5 kg')).toBeVisible();
  await screenshot(page, 'mesures');

  await openSection(page, 'Profil médical');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Télécharger la synthèse (PDF)' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/\.pdf$/);
  expect(readFileSync((await file.path())!).subarray(0, 5).toString()).toBe('%PDF-');
});

test('a person sees and adds appointments, downloads the agenda and sees prevention reminders', async ({ page }) => {
  const person = await activated({ birth_date: '1970-02-01' });
  await signIn(page, person);
  await openSection(page, 'Agenda');
  await expect(page.getByText('Aucun rendez-vous dans l’agenda.')).toBeVisible();
  await page.getByLabel('Objet').fill('Dentiste');
  await page.getByLabel('Début').fill('2027-03-15T10:30');
  await page.getByLabel('Lieu (facultatif)').fill('Cabinet du Dr Petit, Lyon');
  await page.getByRole('button', { name: 'Ajouter le rendez-vous' }).click();
  await expect(page.getByText('Le rendez-vous est ajouté à l’agenda.')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Rendez-vous' }).getByText('Dentiste')).toBeVisible();
  await expect(page.getByText('15 mars 2027 à 10:30')).toBeVisible();
  await screenshot(page, 'agenda');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Télécharger l’agenda (.ics)' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/\.ics$/);
  expect(readFileSync((await file.path())!, 'utf8')).toContain('BEGIN:VCALENDAR');

  await openSection(page, 'Prévention');
  await expect(page.getByRole('list', { name: 'Recommandations' }).getByRole('listitem').first()).toBeVisible();
});

test('a person consents to a catalogue app, then revokes', async ({ page }) => {
  const agent = (await import('./support')).token('--role', 'agent');
  const name = `Suivi tension ${Date.now()}`;
  const created = await api('POST', '/catalogue', agent, {
    name, category: 'prevention', data_access: [{ category: 'measurements', access: 'read' }, { category: 'measurements', access: 'write' }],
  });
  expect(created.status, JSON.stringify(created.json)).toBeLessThan(300);
  const person = await activated();
  await signIn(page, person);
  await openSection(page, 'Applications');
  await setCheckbox(page, 'Ajouter à vos mesures', false);
  await page.getByRole('button', { name: `Donner mon accord à ${name}` }).click();
  await expect(page.getByText(`${name} a votre accord.`)).toBeVisible();
  const token = (await api('POST', '/dev/sign-in', null, { nir: person.nir })).json.token;
  const consents = await api('GET', `/patients/${person.nir}/app-consents`, token);
  expect(consents.json.items[0].grants).toEqual([{ category: 'measurements', access: 'read' }]);
  await screenshot(page, 'applications');
  await page.getByRole('button', { name: `Retirer mon accord à ${name}` }).click();
  await expect(page.getByText(`Votre accord à ${name} est retiré.`)).toBeVisible();
  expect((await api('GET', `/patients/${person.nir}/app-consents`, token)).json.items).toHaveLength(0);
});

test('a person closes their space', async ({ page }) => {
  const person = await activated();
  await signIn(page, person);
  await openSection(page, 'Mon compte');
  await setCheckbox(page, 'Je demande la suppression de mes données', true);
  await page.getByRole('button', { name: 'Fermer mon espace' }).click();
  await page.getByRole('button', { name: 'Confirmer la fermeture' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Connexion à Mon Espace Santé' })).toBeVisible();
  await expect(page.getByText('Votre espace est fermé.')).toBeVisible();
  // The closed space no longer opens: signing in again shows the API's refusal.
  await page.getByLabel('Numéro de sécurité sociale').fill(person.nir);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  const token = (await api('POST', '/dev/sign-in', null, { nir: person.nir })).json.token;
  expect((await api('GET', '/me', token)).status).toBeGreaterThanOrEqual(400);
});
