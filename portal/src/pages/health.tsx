/** The medical profile, vaccinations and measurements (CONTRACT §6), and the PDF summary. */

import { useEffect, useState } from 'preact/hooks';

import { apiClient, must, saveBlob, type Schemas } from '../api';
import { usePortal } from '../context';
import { formatDate, formatDateTime, localToIso, MEASUREMENTS, unitLabel } from '../format';
import { useAction, useLoad, usePaged } from '../hooks';
import { Checkbox, ErrorAlert, Field, Loading, PagedItems, PageTitle, Select, Submit, Success } from '../ui';

type Entry = Schemas['ProfileEntry'];
type ListKey = 'allergies' | 'conditions' | 'treatments' | 'hospitalisations' | 'family_history';

const LISTS: { key: ListKey; label: string; hint: string }[] = [
  { key: 'allergies', label: 'Allergies', hint: 'Une par ligne. Par exemple : pénicilline.' },
  { key: 'conditions', label: 'Maladies et problèmes de santé', hint: 'Un par ligne.' },
  { key: 'treatments', label: 'Traitements', hint: 'Un par ligne, avec la posologie si vous la connaissez.' },
  { key: 'hospitalisations', label: 'Hospitalisations', hint: 'Une par ligne.' },
  { key: 'family_history', label: 'Antécédents familiaux', hint: 'Un par ligne.' },
];
const BLOOD_GROUPS = ['A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'] as const;

/** Lines of a text area as profile entries; entries already there (with their details) are kept as they were. */
export function entriesFromLines(text: string, before: Entry[]): Entry[] {
  const byName = new Map(before.map((e) => [e.name.trim().toLowerCase(), e]));
  const names = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return [...new Set(names)].map((name) => byName.get(name.toLowerCase()) ?? { name });
}

export function ProfilePage() {
  const { space } = usePortal();
  const profile = useLoad(() => must(apiClient().GET('/patients/{ins}/profile', { params: { path: { ins: space.ins } } })), [space.ins]);
  const [texts, setTexts] = useState<Record<ListKey, string>>({ allergies: '', conditions: '', treatments: '', hospitalisations: '', family_history: '' });
  const [blood, setBlood] = useState('');
  const [donation, setDonation] = useState('');
  const [directives, setDirectives] = useState(false);
  const save = useAction();
  const pdf = useAction();

  useEffect(() => {
    const p = profile.data;
    if (!p) return;
    setTexts(Object.fromEntries(LISTS.map(({ key }) => [key, (p[key] as Entry[]).map((e) => e.name).join('\n')])) as Record<ListKey, string>);
    setBlood(p.blood_group ?? '');
    setDonation(p.organ_donation === true ? 'yes' : p.organ_donation === false ? 'no' : '');
    setDirectives(Boolean((p.advance_directives as { written?: boolean } | null)?.written));
  }, [profile.data]);

  const submit = (e: Event) => {
    e.preventDefault();
    const before = profile.data;
    void save.run(async () => {
      const body: Schemas['Profile'] = {
        ...Object.fromEntries(LISTS.map(({ key }) => [key, entriesFromLines(texts[key], (before?.[key] as Entry[]) ?? [])])),
        blood_group: (blood || null) as Schemas['Profile']['blood_group'],
        organ_donation: donation === '' ? null : donation === 'yes',
        advance_directives: { ...((before?.advance_directives as object | null) ?? {}), written: directives },
      };
      await must(apiClient().PUT('/patients/{ins}/profile', { params: { path: { ins: space.ins } }, body }));
      profile.reload();
      return 'Le profil médical est enregistré.';
    });
  };
  const download = () => pdf.run(async () => {
    const blob = await must(apiClient().GET('/patients/{ins}/summary.pdf', {
      params: { path: { ins: space.ins } }, headers: { Accept: 'application/pdf' }, parseAs: 'blob',
    }));
    saveBlob(blob as Blob, 'synthese-mon-espace-sante.pdf');
    return 'La synthèse est téléchargée.';
  });

  return (
    <>
      <PageTitle lead="Les informations utiles aux professionnels qui vous soignent. Les professionnels autorisés peuvent les lire.">
        Profil médical
      </PageTitle>
      <section aria-labelledby="summary-title" class="fr-mb-4w">
        <h2 id="summary-title" class="fr-h5">Synthèse</h2>
        <p>Un document PDF qui reprend le profil, les vaccinations et les dernières mesures.</p>
        <ErrorAlert error={pdf.error} />
        <Success>{pdf.done}</Success>
        <button type="button" class="fr-btn fr-btn--secondary" disabled={pdf.busy} onClick={() => void download()}>
          Télécharger la synthèse (PDF)
        </button>
      </section>
      {profile.loading && !profile.data && <Loading what="Chargement du profil…" />}
      <ErrorAlert error={profile.error} />
      {profile.data && (
        <form onSubmit={submit} noValidate>
          <ErrorAlert error={save.error} title="Le profil n’a pas été enregistré" />
          <Success>{save.done}</Success>
          {LISTS.map(({ key, label, hint }) => (
            <Field key={key} id={`profile-${key}`} name={key} label={label} hint={hint} multiline value={texts[key]}
                   onInput={(v) => setTexts({ ...texts, [key]: v })} error={save.error} />
          ))}
          <Select id="profile-blood" label="Groupe sanguin" value={blood} placeholder="Non renseigné"
                  options={BLOOD_GROUPS.map((g) => ({ value: g, label: g }))} onChange={setBlood} />
          <Select id="profile-donation" label="Don d’organes" value={donation} placeholder="Non renseigné"
                  options={[{ value: 'yes', label: 'Je suis donneur' }, { value: 'no', label: 'Je ne souhaite pas donner' }]} onChange={setDonation} />
          <Checkbox id="profile-directives" label="J’ai rédigé des directives anticipées" checked={directives} onChange={setDirectives} />
          <Submit busy={save.busy}>Enregistrer le profil</Submit>
        </form>
      )}
    </>
  );
}

export function VaccinationsPage() {
  const { space } = usePortal();
  const list = usePaged<Schemas['Vaccination']>(
    (cursor) => must(apiClient().GET('/patients/{ins}/vaccinations', { params: { path: { ins: space.ins }, query: { limit: 20, cursor: cursor ?? undefined } } })),
    [space.ins], (v) => v.vaccination_id,
  );
  const [vaccine, setVaccine] = useState('');
  const [date, setDate] = useState('');
  const [dose, setDose] = useState('');
  const [lot, setLot] = useState('');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      await must(apiClient().POST('/patients/{ins}/vaccinations', {
        params: { path: { ins: space.ins } }, body: { vaccine, date, dose: dose || null, lot: lot || null },
      }));
      setVaccine(''); setDate(''); setDose(''); setLot('');
      list.reload();
      return 'La vaccination est enregistrée.';
    });
  };
  return (
    <>
      <PageTitle lead="Le carnet de vaccination de cet espace.">Vaccinations</PageTitle>
      <PagedItems list={list} label="Vaccinations" empty="Aucune vaccination enregistrée." loading="Chargement des vaccinations…"
                  more="Afficher plus de vaccinations">
        {(v) => (
          <li key={v.vaccination_id}>
            <p class="fr-mb-1v"><strong>{v.vaccine}</strong>{v.dose ? ` – ${v.dose}` : ''}</p>
            <p class="fr-text--sm ens-meta fr-mb-0">Le {formatDate(v.date)}{v.lot ? ` · lot ${v.lot}` : ''}</p>
          </li>
        )}
      </PagedItems>
      <form class="fr-mt-4w" onSubmit={submit} noValidate>
        <fieldset class="fr-fieldset">
          <legend class="fr-fieldset__legend">Ajouter une vaccination</legend>
          <div class="fr-fieldset__element">
            <Field id="vacc-vaccine" name="vaccine" label="Vaccin" hint="Par exemple : DTP, grippe saisonnière." value={vaccine} onInput={setVaccine} error={action.error} required />
          </div>
          <div class="fr-fieldset__element">
            <Field id="vacc-date" name="date" type="date" label="Date de la vaccination" value={date} onInput={setDate} error={action.error} required />
          </div>
          <div class="fr-fieldset__element">
            <Field id="vacc-dose" name="dose" label="Dose (facultatif)" hint="Par exemple : rappel, 2e dose." value={dose} onInput={setDose} error={action.error} />
          </div>
          <div class="fr-fieldset__element">
            <Field id="vacc-lot" name="lot" label="Numéro de lot (facultatif)" value={lot} onInput={setLot} error={action.error} />
          </div>
          <div class="fr-fieldset__element">
            <ErrorAlert error={action.error} title="La vaccination n’a pas été enregistrée" />
            <Success>{action.done}</Success>
            <Submit busy={action.busy}>Ajouter la vaccination</Submit>
          </div>
        </fieldset>
      </form>
    </>
  );
}

export function MeasurementsPage() {
  const { space } = usePortal();
  const list = usePaged<Schemas['Measurement']>(
    (cursor) => must(apiClient().GET('/patients/{ins}/measurements', { params: { path: { ins: space.ins }, query: { limit: 20, cursor: cursor ?? undefined } } })),
    [space.ins], (m) => m.measurement_id,
  );
  const [code, setCode] = useState(MEASUREMENTS[0].code);
  const [value, setValue] = useState('');
  const [at, setAt] = useState('');
  const action = useAction();
  const kind = MEASUREMENTS.find((m) => m.code === code) ?? MEASUREMENTS[0];
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      await must(apiClient().POST('/patients/{ins}/measurements', {
        params: { path: { ins: space.ins } },
        body: { code, unit: kind.unit, value: Number(value.replace(',', '.')), effective_at: at ? localToIso(at) : new Date().toISOString() },
      }));
      setValue('');
      list.reload();
      return 'La mesure est enregistrée.';
    });
  };
  return (
    <>
      <PageTitle lead="Poids, taille, tension, glycémie… Ces mesures ne sont jamais montrées aux professionnels.">Mesures</PageTitle>
      <PagedItems list={list} label="Mesures" empty="Aucune mesure enregistrée." loading="Chargement des mesures…"
                  more="Afficher plus de mesures">
        {(m) => (
          <li key={m.measurement_id}>
            <p class="fr-mb-1v"><strong>{m.label}</strong> : {m.value.toLocaleString('fr-FR')} {unitLabel(m.unit)}</p>
            <p class="fr-text--sm ens-meta fr-mb-0">{formatDateTime(m.effective_at)}</p>
          </li>
        )}
      </PagedItems>
      <form class="fr-mt-4w" onSubmit={submit} noValidate>
        <fieldset class="fr-fieldset">
          <legend class="fr-fieldset__legend">Ajouter une mesure</legend>
          <div class="fr-fieldset__element">
            <Select id="meas-code" label="Mesure" value={code} onChange={setCode}
                    options={MEASUREMENTS.map((m) => ({ value: m.code, label: `${m.label} (${unitLabel(m.unit)})` }))} />
          </div>
          <div class="fr-fieldset__element">
            <Field id="meas-value" name="value" label={`Valeur en ${unitLabel(kind.unit)}`} value={value} onInput={setValue}
                   error={action.error} inputMode="decimal" required />
          </div>
          <div class="fr-fieldset__element">
            <Field id="meas-at" name="effective_at" type="datetime-local" label="Date et heure de la mesure" hint="Laissez vide pour maintenant."
                   value={at} onInput={setAt} error={action.error} />
          </div>
          <div class="fr-fieldset__element">
            <ErrorAlert error={action.error} title="La mesure n’a pas été enregistrée" />
            <Success>{action.done}</Success>
            <Submit busy={action.busy}>Ajouter la mesure</Submit>
          </div>
        </fieldset>
      </form>
    </>
  );
}
