/** The agenda (appointments, .ics) and the prevention reminders (CONTRACT §6). */

import { useState } from 'preact/hooks';

import { apiClient, must, saveBlob, type Schemas } from '../api';
import { usePortal } from '../context';
import { formatDate, formatDateTime, localToIso } from '../format';
import { useAction, useLoad, usePaged } from '../hooks';
import { Empty, ErrorAlert, Field, Loading, PagedItems, PageTitle, Submit, Success } from '../ui';

export function AgendaPage() {
  const { space } = usePortal();
  const list = usePaged<Schemas['Appointment']>(
    (cursor) => must(apiClient().GET('/patients/{ins}/appointments', { params: { path: { ins: space.ins }, query: { limit: 20, cursor: cursor ?? undefined } } })),
    [space.ins], (a) => a.appointment_id,
  );
  const [title, setTitle] = useState('');
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [location, setLocation] = useState('');
  const [professional, setProfessional] = useState('');
  const action = useAction();
  const ics = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      await must(apiClient().POST('/patients/{ins}/appointments', {
        params: { path: { ins: space.ins } },
        body: {
          title, start: start ? localToIso(start) : '', end: end ? localToIso(end) : null,
          location: location || null, professional: professional || null,
        },
      }));
      setTitle(''); setStart(''); setEnd(''); setLocation(''); setProfessional('');
      list.reload();
      return 'Le rendez-vous est ajouté à l’agenda.';
    });
  };
  const download = () => ics.run(async () => {
    const text = await must(apiClient().GET('/patients/{ins}/agenda.ics', {
      params: { path: { ins: space.ins } }, headers: { Accept: 'text/calendar' }, parseAs: 'text',
    }));
    saveBlob(new Blob([text as string], { type: 'text/calendar' }), 'agenda-mon-espace-sante.ics');
    return 'L’agenda est téléchargé : ouvrez-le avec votre application de calendrier.';
  });
  return (
    <>
      <PageTitle lead="Vos rendez-vous de santé. Téléchargez l’agenda pour l’ajouter à votre calendrier.">Agenda</PageTitle>
      <ErrorAlert error={ics.error} />
      <Success>{ics.done}</Success>
      <p><button type="button" class="fr-btn fr-btn--secondary" disabled={ics.busy} onClick={() => void download()}>Télécharger l’agenda (.ics)</button></p>
      <h2 class="fr-h4">Rendez-vous</h2>
      <PagedItems list={list} label="Rendez-vous" empty="Aucun rendez-vous dans l’agenda." loading="Chargement des rendez-vous…"
                  more="Afficher plus de rendez-vous">
        {(a) => (
          <li key={a.appointment_id}>
            <p class="fr-mb-1v"><strong>{a.title}</strong></p>
            <p class="fr-text--sm ens-meta fr-mb-0">
              {formatDateTime(a.start)}{a.location ? ` · ${a.location}` : ''}{a.professional ? ` · ${a.professional}` : ''}
            </p>
          </li>
        )}
      </PagedItems>
      <form class="fr-mt-4w" onSubmit={submit} noValidate>
        <fieldset class="fr-fieldset">
          <legend class="fr-fieldset__legend">Ajouter un rendez-vous</legend>
          <div class="fr-fieldset__element">
            <Field id="appt-title" name="title" label="Objet" hint="Par exemple : consultation chez le dentiste." value={title} onInput={setTitle} error={action.error} required />
          </div>
          <div class="fr-fieldset__element">
            <Field id="appt-start" name="start" type="datetime-local" label="Début" value={start} onInput={setStart} error={action.error} required />
          </div>
          <div class="fr-fieldset__element">
            <Field id="appt-end" name="end" type="datetime-local" label="Fin (facultatif)" value={end} onInput={setEnd} error={action.error} />
          </div>
          <div class="fr-fieldset__element">
            <Field id="appt-location" name="location" label="Lieu (facultatif)" value={location} onInput={setLocation} error={action.error} />
          </div>
          <div class="fr-fieldset__element">
            <Field id="appt-pro" name="professional" label="Professionnel (facultatif)" value={professional} onInput={setProfessional} error={action.error} />
          </div>
          <div class="fr-fieldset__element">
            <ErrorAlert error={action.error} title="Le rendez-vous n’a pas été ajouté" />
            <Success>{action.done}</Success>
            <Submit busy={action.busy}>Ajouter le rendez-vous</Submit>
          </div>
        </fieldset>
      </form>
    </>
  );
}

const KINDS: Record<string, string> = { vaccination: 'Vaccination', screening: 'Dépistage' };
const STATUS: Record<string, string> = { due: 'À faire', upcoming: 'À venir' };

export function PreventionPage() {
  const { space } = usePortal();
  const reminders = useLoad(() => must(apiClient().GET('/patients/{ins}/reminders', { params: { path: { ins: space.ins } } })), [space.ins]);
  const items = reminders.data?.items ?? [];
  return (
    <>
      <PageTitle lead="Les vaccinations et dépistages recommandés pour votre âge, selon le calendrier officiel.">Prévention</PageTitle>
      {reminders.loading && !reminders.data && <Loading what="Chargement des recommandations…" />}
      <ErrorAlert error={reminders.error} />
      {reminders.data && items.length === 0 && <Empty>Aucune recommandation pour le moment.</Empty>}
      {items.length > 0 && (
        <ul class="ens-list" aria-label="Recommandations">
          {items.map((r) => (
            <li key={r.reminder_id}>
              <p class="fr-mb-1v"><strong>{r.label}</strong></p>
              <p class="fr-text--sm ens-meta fr-mb-0">
                {KINDS[r.kind] ?? r.kind} · {STATUS[r.status] ?? r.status} · à partir du {formatDate(r.due_on)}
              </p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
