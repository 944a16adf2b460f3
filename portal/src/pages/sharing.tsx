/** Sharing (CONTRACT §5): professionals authorised or blocked, the attending doctor, the emergency settings. */

import { useEffect, useState } from 'preact/hooks';

import { apiClient, must, type Schemas } from '../api';
import { usePortal } from '../context';
import { formatDate, professionLabel } from '../format';
import { useAction, useLoad, usePaged } from '../hooks';
import { Checkbox, Empty, ErrorAlert, Field, Loading, More, PageTitle, Select, Submit, Success } from '../ui';

type Relation = Schemas['Relation'];

const STATUS: Record<string, string> = { authorized: 'Autorisé', blocked: 'Bloqué' };
const VIA: Record<string, string> = { patient: 'par vous', care: 'pendant un soin', care_relationship: 'pendant un soin' };

export function SharingPage() {
  return (
    <>
      <PageTitle lead="Décidez qui peut consulter les documents de cet espace, et en cas d’urgence.">
        Partage et professionnels
      </PageTitle>
      <Professionals />
      <AttendingDoctor />
      <EmergencySettings />
    </>
  );
}

function Professionals() {
  const { space } = usePortal();
  const [rpps, setRpps] = useState('');
  const [status, setStatus] = useState('authorized');
  const action = useAction();
  const list = usePaged<Relation>(
    (cursor) => must(apiClient().GET('/patients/{ins}/professionals', {
      params: { path: { ins: space.ins }, query: { limit: 20, cursor: cursor ?? undefined } },
    })),
    [space.ins],
    (r) => r.rpps,
  );
  const put = (who: string, next: string) => action.run(async () => {
    await must(apiClient().PUT('/patients/{ins}/professionals/{rpps}', {
      params: { path: { ins: space.ins, rpps: who } }, body: { status: next as 'authorized' | 'blocked' },
    }));
    list.reload();
    return next === 'blocked' ? `Le professionnel n° ${who} est bloqué.` : `Le professionnel n° ${who} est autorisé.`;
  });

  return (
    <section aria-labelledby="pros-title" class="fr-mb-6w">
      <h2 id="pros-title" class="fr-h4">Professionnels de santé</h2>
      <ErrorAlert error={action.error} />
      <Success>{action.done}</Success>
      {list.loading && !list.loaded && <Loading />}
      <ErrorAlert error={list.error} />
      {list.loaded && list.items.length === 0 && <Empty>Aucun professionnel autorisé ou bloqué pour le moment.</Empty>}
      {list.items.length > 0 && (
        <ul class="ens-list" aria-label="Professionnels">
          {list.items.map((r) => (
            <li key={r.rpps}>
              <p class="fr-mb-1v">
                <strong>N° RPPS {r.rpps}</strong>{r.profession ? ` – ${professionLabel(r.profession)}` : ''}
                {r.attending_doctor ? ' – médecin traitant' : ''}
              </p>
              <p class="fr-text--sm ens-meta">{STATUS[r.status] ?? r.status} {VIA[r.via] ?? ''} depuis le {formatDate(r.since)}</p>
              <button type="button" class="fr-btn fr-btn--sm fr-btn--secondary" disabled={action.busy}
                      onClick={() => void put(r.rpps, r.status === 'blocked' ? 'authorized' : 'blocked')}>
                {r.status === 'blocked' ? `Autoriser le n° ${r.rpps}` : `Bloquer le n° ${r.rpps}`}
              </button>
            </li>
          ))}
        </ul>
      )}
      <More cursor={list.cursor} loading={list.loading} onMore={list.more} label="Afficher plus de professionnels" />
      <form class="fr-mt-3w" onSubmit={(e) => { e.preventDefault(); void put(rpps.trim(), status).then((ok) => ok && setRpps('')); }} noValidate>
        <fieldset class="fr-fieldset">
          <legend class="fr-fieldset__legend">Autoriser ou bloquer un professionnel</legend>
          <div class="fr-fieldset__element">
            <Field id="pro-rpps" name="rpps" label="Numéro RPPS du professionnel" hint="11 chiffres, sur son ordonnance ou sa carte."
                   value={rpps} onInput={setRpps} error={action.error} inputMode="numeric" required />
          </div>
          <div class="fr-fieldset__element">
            <Select id="pro-status" label="Décision" value={status} onChange={setStatus}
                    options={[{ value: 'authorized', label: 'Autoriser l’accès à mes documents' }, { value: 'blocked', label: 'Bloquer tout accès' }]} />
          </div>
          <div class="fr-fieldset__element"><Submit busy={action.busy}>Enregistrer la décision</Submit></div>
        </fieldset>
      </form>
    </section>
  );
}

function AttendingDoctor() {
  const { space } = usePortal();
  const doctor = useLoad(() => must(apiClient().GET('/patients/{ins}/attending-doctor', { params: { path: { ins: space.ins } } })), [space.ins]);
  const [rpps, setRpps] = useState('');
  const action = useAction();
  const save = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      await must(apiClient().PUT('/patients/{ins}/attending-doctor', { params: { path: { ins: space.ins } }, body: { rpps: rpps.trim() } }));
      doctor.reload();
      setRpps('');
      return 'Le médecin traitant est enregistré.';
    });
  };
  return (
    <section aria-labelledby="doctor-title" class="fr-mb-6w">
      <h2 id="doctor-title" class="fr-h4">Médecin traitant</h2>
      {doctor.loading && <Loading />}
      <ErrorAlert error={doctor.error} />
      {doctor.data && (doctor.data.rpps
        ? <p>Votre médecin traitant : n° RPPS <strong>{doctor.data.rpps}</strong>{doctor.data.since ? `, depuis le ${formatDate(doctor.data.since)}` : ''}.</p>
        : <Empty>Aucun médecin traitant n’est déclaré.</Empty>)}
      <ErrorAlert error={action.error} />
      <Success>{action.done}</Success>
      <form onSubmit={save} noValidate>
        <Field id="doctor-rpps" name="rpps" label="Numéro RPPS du médecin traitant" hint="Il verra aussi les documents masqués."
               value={rpps} onInput={setRpps} error={action.error} inputMode="numeric" required />
        <Submit busy={action.busy}>Désigner ce médecin traitant</Submit>
      </form>
    </section>
  );
}

function EmergencySettings() {
  const { space } = usePortal();
  const settings = useLoad(() => must(apiClient().GET('/patients/{ins}/emergency-settings', { params: { path: { ins: space.ins } } })), [space.ins]);
  const [values, setValues] = useState({ samu: true, other_professionals: true, masked_documents: true });
  useEffect(() => {
    if (settings.data) {
      setValues({ samu: settings.data.samu, other_professionals: settings.data.other_professionals, masked_documents: settings.data.masked_documents });
    }
  }, [settings.data]);
  const action = useAction();
  const save = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      await must(apiClient().PUT('/patients/{ins}/emergency-settings', { params: { path: { ins: space.ins } }, body: values }));
      return 'Vos choix pour les situations d’urgence sont enregistrés.';
    });
  };
  return (
    <section aria-labelledby="emergency-title">
      <h2 id="emergency-title" class="fr-h4">Accès en cas d’urgence</h2>
      {settings.loading && <Loading />}
      <ErrorAlert error={settings.error ?? action.error} />
      <Success>{action.done}</Success>
      <form onSubmit={save}>
        <fieldset class="fr-fieldset">
          <legend class="fr-fieldset__legend">En cas d’urgence, j’autorise :</legend>
          <div class="fr-fieldset__element">
            <Checkbox id="em-samu" label="Le médecin régulateur du SAMU (centre 15) à consulter mes documents" checked={values.samu}
                      onChange={(v) => setValues({ ...values, samu: v })} />
            <Checkbox id="em-other" label="Les autres professionnels de santé à consulter mes documents" checked={values.other_professionals}
                      onChange={(v) => setValues({ ...values, other_professionals: v })} />
            <Checkbox id="em-masked" label="L’accès à mes documents masqués" checked={values.masked_documents}
                      onChange={(v) => setValues({ ...values, masked_documents: v })} />
          </div>
          <div class="fr-fieldset__element"><Submit busy={action.busy}>Enregistrer mes choix d’urgence</Submit></div>
        </fieldset>
      </form>
    </section>
  );
}
