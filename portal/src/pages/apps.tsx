/** Catalogue apps and consents (CONTRACT §7): grant, per data category and direction, and revoke. */

import { useState } from 'preact/hooks';

import { apiClient, must, type Schemas } from '../api';
import { usePortal } from '../context';
import { formatDate } from '../format';
import { useAction, useLoad } from '../hooks';
import { Checkbox, Empty, ErrorAlert, Loading, PageTitle, Success } from '../ui';

type App = Schemas['App'];
type Consent = Schemas['Consent'];
type Grant = Schemas['DataAccess'];

const DATA: Record<string, string> = {
  documents: 'vos documents', measurements: 'vos mesures', agenda: 'votre agenda', profile: 'votre profil médical',
  vaccinations: 'vos vaccinations',
};
const ACCESS: Record<string, string> = { read: 'Lire', write: 'Ajouter à' };
const CATEGORIES: Record<string, string> = {
  telesante: 'Télésanté', prevention: 'Prévention', retour_domicile: 'Retour à domicile',
  orientation_qualite: 'Orientation et qualité', information_droits: 'Information et droits',
};

export function grantLabel(g: Grant): string {
  return `${ACCESS[g.access] ?? g.access} ${DATA[g.category] ?? g.category}`;
}

const key = (g: Grant) => `${g.category}:${g.access}`;

export function AppsPage() {
  const { space } = usePortal();
  const catalogue = useLoad(() => must(apiClient().GET('/catalogue')), []);
  const consents = useLoad(() => must(apiClient().GET('/patients/{ins}/app-consents', { params: { path: { ins: space.ins } } })), [space.ins]);
  const byApp = new Map((consents.data?.items ?? []).map((c) => [c.app_id, c]));
  const apps = (catalogue.data?.items ?? []).filter((a) => a.status === 'online' || byApp.has(a.app_id));
  return (
    <>
      <PageTitle lead="Des applications référencées par l’Assurance maladie. Choisissez ce que chacune peut lire ou ajouter ; retirez votre accord à tout moment.">
        Applications
      </PageTitle>
      {(catalogue.loading || consents.loading) && !(catalogue.data && consents.data) && <Loading what="Chargement du catalogue…" />}
      <ErrorAlert error={catalogue.error ?? consents.error} />
      {catalogue.data && consents.data && apps.length === 0 && <Empty>Aucune application n’est référencée pour le moment.</Empty>}
      {catalogue.data && consents.data && apps.length > 0 && (
        <ul class="ens-list" aria-label="Applications du catalogue">
          {apps.map((app) => <AppItem key={app.app_id} app={app} consent={byApp.get(app.app_id)} onChanged={consents.reload} />)}
        </ul>
      )}
    </>
  );
}

function AppItem({ app, consent, onChanged }: { app: App; consent?: Consent; onChanged: () => void }) {
  const { space } = usePortal();
  const offered = app.data_access as Grant[]; // the API types each as {category, access}
  const [chosen, setChosen] = useState<Set<string>>(new Set(((consent?.grants ?? offered) as Grant[]).map(key)));
  const action = useAction();
  const path = { ins: space.ins, app_id: app.app_id };
  const grant = () => action.run(async () => {
    const grants = offered.filter((g) => chosen.has(key(g)));
    if (grants.length === 0) throw new Error('Cochez au moins une donnée, ou retirez votre accord.');
    await must(apiClient().PUT('/patients/{ins}/app-consents/{app_id}', { params: { path }, body: { grants } }));
    onChanged();
    return `${app.name} a votre accord.`;
  });
  const revoke = () => action.run(async () => {
    await must(apiClient().DELETE('/patients/{ins}/app-consents/{app_id}', { params: { path } }));
    onChanged();
    return `Votre accord à ${app.name} est retiré.`;
  });
  const toggle = (g: Grant, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(key(g)); else next.delete(key(g));
    setChosen(next);
  };
  return (
    <li>
      <h2 class="fr-h5 fr-mb-1v">{app.name}</h2>
      <p class="fr-text--sm ens-meta">
        {CATEGORIES[app.category] ?? app.category}{app.publisher ? ` · ${app.publisher}` : ''}
        {consent ? ` · accord donné le ${formatDate(consent.granted_at)}` : ' · pas d’accord'}
        {app.status !== 'online' ? ' · application suspendue' : ''}
      </p>
      {app.description && <p>{app.description}</p>}
      {consent?.needs_reapproval && (
        <p class="fr-badge fr-badge--warning fr-mb-1w">Cette application demande de nouvelles données : confirmez votre accord</p>
      )}
      <fieldset class="fr-fieldset">
        <legend class="fr-fieldset__legend fr-text--regular">Données que {app.name} peut utiliser</legend>
        <div class="fr-fieldset__element">
          {offered.map((g) => (
            <Checkbox key={key(g)} id={`grant-${app.app_id}-${key(g).replace(':', '-')}`} label={grantLabel(g)}
                      checked={chosen.has(key(g))} onChange={(on) => toggle(g, on)} />
          ))}
        </div>
      </fieldset>
      <ErrorAlert error={action.error} />
      <Success>{action.done}</Success>
      <ul class="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm">
        <li>
          <button type="button" class="fr-btn" disabled={action.busy || app.status !== 'online'} onClick={() => void grant()}>
            {consent ? `Mettre à jour mon accord à ${app.name}` : `Donner mon accord à ${app.name}`}
          </button>
        </li>
        {consent && (
          <li>
            <button type="button" class="fr-btn fr-btn--secondary" disabled={action.busy} onClick={() => void revoke()}>
              Retirer mon accord à {app.name}
            </button>
          </li>
        )}
      </ul>
    </li>
  );
}
