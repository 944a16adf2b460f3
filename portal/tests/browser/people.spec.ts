/** The people around the patient (CONTRACT §10) as a person would click: inviting a carer, the carer accepting and
 * finding the person in the switcher, revoking and stepping down, a second legal representative, and the access
 * log's filters. */

import { expect, type Locator, type Page, test } from '@playwright/test';

import { activated, api, enrol, ens, expectAccessibleAtBothSizes, openSection, type Person, professional, screenshot, signIn } from './support';

async function patientToken(nir: string): Promise<string> {
  return (await api('POST', '/dev/sign-in', null, { nir })).json.token;
}

/** Fills the identity fields of an invitation form (carer or second legal representative). */
async function fillIdentity(form: Locator, who: Person, familyName = who.family_name): Promise<void> {
  await form.getByLabel('Son numéro de sécurité sociale').fill(who.nir);
  await form.getByLabel('Son prénom').fill(who.given_name);
  await form.getByLabel('Son nom de famille').fill(familyName);
  await form.getByLabel('Sa date de naissance').fill(who.birth_date);
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Connexion à Mon Espace Santé' })).toBeVisible();
}

test('a person invites a carer, who accepts and then helps in the person’s space', async ({ page }) => {
  const helped = await activated({ given_name: 'Jeanne', family_name: 'Durand', birth_date: '1941-06-12' });
  const carer = await activated({ given_name: 'Paul', family_name: 'Durand', birth_date: '1968-09-03', sex: 1 });
  await signIn(page, helped);
  await openSection(page, 'Aidants');
  await expect(page.getByText('Aucun aidant pour le moment.')).toBeVisible();
  const form = page.getByRole('group', { name: /^Inviter un aidant/ });
  // A wrong family name answers exactly like an unknown person: the API's sentence.
  await fillIdentity(form, carer, 'Dupont');
  await page.getByRole('button', { name: 'Inviter cet aidant' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'L’invitation n’a pas été envoyée' })).toBeVisible();
  await form.getByLabel('Son nom de famille').fill(carer.family_name);
  await page.getByRole('button', { name: 'Inviter cet aidant' }).click();
  await expect(page.getByText(/^Paul Durand est invité\(e\) : l’invitation vaut jusqu’au/)).toBeVisible();
  const carers = page.getByRole('list', { name: 'Aidants' });
  await expect(carers.getByRole('listitem').filter({ hasText: 'Paul Durand' })).toContainText('sans réponse');
  await expectAccessibleAtBothSizes(page, 'the carers page with an invitation pending');
  await screenshot(page, 'aidants');
  await signOut(page);

  // The carer was told (carer_invitation, always sent) and answers in the portal.
  expect((ens('outbox', '--to', carer.nir) as { kind: string }[]).some((n) => n.kind === 'carer_invitation')).toBe(true);
  await signIn(page, carer);
  await openSection(page, 'Invitations reçues');
  const invitation = page.getByRole('list', { name: 'Invitations' }).getByRole('listitem').filter({ hasText: 'Devenir l’aidant de Jeanne Durand' });
  await expect(invitation).toContainText('En attente de votre réponse');
  await expectAccessibleAtBothSizes(page, 'the invitations page');
  await screenshot(page, 'invitations');
  await invitation.getByRole('button', { name: 'Accepter l’invitation de Jeanne Durand' }).click();
  await expect(page.getByText('Vous avez accepté : l’espace de Jeanne Durand est dans la liste « Espace affiché ».')).toBeVisible();
  await expect(invitation).toContainText('Acceptée');

  // The person helped is in the switcher; the carer reads and adds, never manages sharing nor exports.
  const switcher = page.getByLabel('Espace affiché');
  await switcher.selectOption({ label: 'Espace de Jeanne Durand (personne aidée) – Jeanne Durand' });
  await expect(page.getByRole('heading', { level: 1, name: 'Espace de Jeanne Durand' })).toBeVisible();
  const menu = page.getByRole('navigation', { name: /Rubriques/ });
  for (const absent of ['Partage et professionnels', 'Applications', 'Mon compte']) {
    await expect(menu.getByRole('link', { name: absent, exact: true })).toHaveCount(0);
  }
  await openSection(page, 'Vaccinations');
  await page.getByRole('textbox', { name: /^Vaccin / }).fill('Grippe saisonnière');
  await page.getByLabel('Date de la vaccination').fill('2026-10-20');
  await page.getByRole('button', { name: 'Ajouter la vaccination' }).click();
  await expect(page.getByRole('list', { name: 'Vaccinations' }).getByText('Grippe saisonnière')).toBeVisible();
  const helpedToken = await patientToken(helped.nir);
  expect((await api('GET', `/patients/${helped.nir}/vaccinations`, helpedToken)).json.items).toHaveLength(1);
  await signOut(page);

  // The person helped sees the carer's accesses in the log (role carer), and can show only theirs.
  await signIn(page, helped);
  await openSection(page, 'Historique des accès');
  const log = page.getByRole('list', { name: 'Accès à l’espace' });
  await expect(log.getByRole('listitem').filter({ hasText: 'Aidant' }).first()).toBeVisible();
});

test('the person helped revokes a carer; a carer steps down', async ({ page }) => {
  const helped = await activated({ given_name: 'Jeanne', family_name: 'Roux', birth_date: '1945-01-20' });
  const first = await activated({ given_name: 'Lucie', family_name: 'Roux', birth_date: '1975-04-02' });
  const second = await activated({ given_name: 'Marc', family_name: 'Roux', birth_date: '1972-11-30', sex: 1 });
  const token = await patientToken(helped.nir);
  for (const who of [first, second]) {
    const invited = await api('POST', `/patients/${helped.nir}/carers`, token, {
      ins: who.nir, given_name: who.given_name, family_name: who.family_name, birth_date: who.birth_date,
    });
    expect(invited.status, JSON.stringify(invited.json)).toBe(201);
    const accepted = await api('POST', `/me/invitations/${invited.json.invitation_id}/accept`, await patientToken(who.nir));
    expect(accepted.status, JSON.stringify(accepted.json)).toBe(200);
  }

  await signIn(page, helped);
  await openSection(page, 'Aidants');
  const lucie = page.getByRole('list', { name: 'Aidants' }).getByRole('listitem').filter({ hasText: 'Lucie Roux' });
  await expect(lucie).toContainText('Aidant(e) depuis le');
  await lucie.getByRole('button', { name: 'Retirer l’accès de Lucie Roux' }).click();
  await lucie.getByRole('button', { name: 'Confirmer' }).click();
  await expect(page.getByText('Lucie Roux n’est plus aidant(e) de cet espace.')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Aidants' }).getByText('Lucie Roux')).toHaveCount(0);
  expect([403, 404]).toContain((await api('GET', `/patients/${helped.nir}/documents`, await patientToken(first.nir))).status);
  await signOut(page);

  await signIn(page, second);
  await page.getByLabel('Espace affiché').selectOption({ label: 'Espace de Jeanne Roux (personne aidée) – Jeanne Roux' });
  await openSection(page, 'Mon rôle d’aidant');
  await expectAccessibleAtBothSizes(page, 'a carer’s role page');
  await page.getByRole('button', { name: 'Ne plus être l’aidant(e) de Jeanne Roux' }).click();
  await page.getByRole('button', { name: 'Confirmer' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Mon espace santé', exact: true })).toBeVisible();
  await expect(page.getByLabel('Espace affiché')).toHaveCount(0); // no one else's space any more
  expect((await api('GET', `/patients/${helped.nir}/carers`, token)).json.items).toHaveLength(0);
});

test('a parent invites the other parent, who then manages the child’s space too', async ({ page }) => {
  const parent = await activated({ given_name: 'Camille', family_name: 'Petit' });
  const other = await activated({ given_name: 'Julien', family_name: 'Petit', birth_date: '1979-07-14', sex: 1 });
  const notified = new Date(Date.now() - 43 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const child = await enrol({ given_name: 'Inès', family_name: 'Petit', birth_date: '2018-02-10', legal_representative_nir: parent.nir, notified_at: notified });
  ens('job', 'opt-out-expiry');

  await signIn(page, parent);
  await page.getByLabel('Espace affiché').selectOption({ label: 'Espace de Inès (enfant) – Inès Petit' });
  await openSection(page, 'Aidants');
  await expect(page.getByRole('heading', { name: 'Second représentant légal' })).toBeVisible();
  const form = page.getByRole('group', { name: 'Inviter un second représentant légal' });
  await fillIdentity(form, other);
  await page.getByRole('button', { name: 'Inviter ce représentant légal' }).click();
  await expect(page.getByText(/^Julien Petit est invité\(e\) à gérer l’espace de Inès Petit/)).toBeVisible();
  await expectAccessibleAtBothSizes(page, 'a child’s carers page');
  await signOut(page);

  await signIn(page, other);
  await openSection(page, 'Invitations reçues');
  const invitation = page.getByRole('list', { name: 'Invitations' }).getByRole('listitem')
    .filter({ hasText: 'Gérer l’espace santé de Inès Petit, enfant, comme second représentant légal' });
  await invitation.getByRole('button', { name: 'Accepter l’invitation de Inès Petit' }).click();
  await expect(invitation).toContainText('Acceptée');
  await page.getByLabel('Espace affiché').selectOption({ label: 'Espace de Inès (enfant) – Inès Petit' });
  await expect(page.getByRole('heading', { level: 1, name: 'Espace de Inès Petit' })).toBeVisible();
  // A legal representative manages sharing (unlike a carer).
  await expect(page.getByRole('navigation', { name: /Rubriques/ }).getByRole('link', { name: 'Partage et professionnels' })).toBeVisible();
  const me = (await api('GET', '/me', await patientToken(other.nir))).json;
  expect(me.dependants.map((d: { ins: string }) => d.ins)).toContain(child.nir);
});

test('a person filters the access log by who accessed and by period', async ({ page }) => {
  const person = await activated();
  const [one, two] = [professional(), professional('pharmacien')];
  for (const pro of [one, two]) {
    expect((await api('POST', `/patients/${person.nir}/care-relationship`, pro.token, {})).status).toBe(201);
    expect((await api('GET', `/patients/${person.nir}/documents`, pro.token)).status).toBe(200);
  }
  await signIn(page, person);
  await openSection(page, 'Historique des accès');
  const log = page.getByRole('list', { name: 'Accès à l’espace' });
  await expect(log.getByText(`n° ${one.rpps} a consulté la liste des documents`)).toBeVisible();
  await expect(log.getByText(`n° ${two.rpps} a consulté la liste des documents`)).toBeVisible();

  await page.getByLabel('Qui').fill(two.rpps);
  await page.getByRole('button', { name: 'Filtrer', exact: true }).click();
  await expect(log.getByText(`n° ${one.rpps}`)).toHaveCount(0);
  await expect(log.getByText(`n° ${two.rpps} a consulté la liste des documents`)).toBeVisible();
  await expectAccessibleAtBothSizes(page, 'the access log filtered');
  await screenshot(page, 'historique-filtre');

  // A period that ended before these accesses: nothing.
  await page.getByLabel('Jusqu’au').fill('2020-01-31');
  await page.getByRole('button', { name: 'Filtrer', exact: true }).click();
  await expect(page.getByText('Aucun accès ne correspond à ces filtres.')).toBeVisible();

  await page.getByRole('button', { name: 'Effacer les filtres' }).click();
  await expect(log.getByText(`n° ${one.rpps} a consulté la liste des documents`)).toBeVisible();
  await log.getByRole('listitem').filter({ hasText: `n° ${one.rpps}` }).first()
    .getByRole('button', { name: /^Voir seulement les accès de/ }).click();
  await expect(page.getByLabel('Qui')).toHaveValue(one.rpps);
  await expect(log.getByText(`n° ${two.rpps}`)).toHaveCount(0);

  // A wrong filter: the API's sentence, naming the parameter.
  await page.getByLabel('Qui').fill('pas un identifiant !');
  await page.getByRole('button', { name: 'Filtrer', exact: true }).click();
  await expect(page.getByRole('alert').first()).toContainText('actor_id');
});
