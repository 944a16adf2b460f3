/** The agenda (appointments: add, change, cancel, reminders; the .ics file) and the prevention recommendations with
 * where the person says each stands (CONTRACT §6 and §10). */

import { useState } from 'preact/hooks';

import { apiClient, must, saveBlob, type Schemas } from '../api';
import { usePortal } from '../context';
import { formatDate, formatDateTime, isoToLocal, localToIso } from '../format';
import { useAction, useLoad, usePaged } from '../hooks';
import { Empty, ErrorAlert, Field, Loading, PagedItems, PageTitle, Select, Submit, Success } from '../ui';

type Appointment = Schemas['Appointment'];
type AppointmentPatch = Schemas['AppointmentPatch'];

/** The fields of the appointment form, as the person typed them (datetime-local values in their own time). */
export interface AppointmentForm {
  title: string;
  start: string;
  end: string;
  location: string;
  professional: string;
  reminder: string;
}

export const BLANK_FORM: AppointmentForm = { title: '', start: '', end: '', location: '', professional: '', reminder: '' };

export function formOf(a: Appointment): AppointmentForm {
  return {
    title: a.title, start: isoToLocal(a.start), end: isoToLocal(a.end), location: a.location ?? '',
    professional: a.professional ?? '', reminder: isoToLocal(a.reminder_at),
  };
}

const sameInstant = (a: string | null | undefined, b: string | null | undefined) =>
  (a ? new Date(a).getTime() : null) === (b ? new Date(b).getTime() : null);

/** What a PATCH must send: only the fields the person changed (an emptied optional field is null: removed). An
 * appointment moved without touching its reminder keeps the reminder's distance (the API moves it). */
export function appointmentChanges(before: Appointment, form: AppointmentForm): AppointmentPatch {
  const changes: AppointmentPatch = {};
  const now = formOf(before);
  if (form.title.trim() !== before.title) changes.title = form.title.trim();
  if (form.start !== now.start) changes.start = form.start ? localToIso(form.start) : '';
  // An emptied end is not sent: the appointment keeps its length (moved with its start when the start moves).
  if (form.end && form.end !== now.end) changes.end = localToIso(form.end);
  const text = (value: string) => value.trim() || null;
  if (text(form.location) !== (before.location ?? null)) changes.location = text(form.location);
  if (text(form.professional) !== (before.professional ?? null)) changes.professional = text(form.professional);
  if (form.reminder !== now.reminder) {
    const next = form.reminder ? localToIso(form.reminder) : null;
    if (!sameInstant(next, before.reminder_at)) changes.reminder_at = next;
  }
  return changes;
}

/** The fields of an appointment; ids are prefixed so that the add form and each change form are distinct. */
function AppointmentFields({ prefix, form, onChange, error, editing }: {
  prefix: string; form: AppointmentForm; onChange: (form: AppointmentForm) => void; error: unknown; editing?: boolean;
}) {
  const set = (name: keyof AppointmentForm) => (value: string) => onChange({ ...form, [name]: value });
  return (
    <>
      <div class="fr-fieldset__element">
        <Field id={`${prefix}-title`} name="title" label="Objet" hint="Par exemple : consultation chez le dentiste." value={form.title} onInput={set('title')} error={error} required />
      </div>
      <div class="fr-fieldset__element">
        <Field id={`${prefix}-start`} name="start" type="datetime-local" label="Début" value={form.start} onInput={set('start')} error={error} required />
      </div>
      <div class="fr-fieldset__element">
        <Field id={`${prefix}-end`} name="end" type="datetime-local" label="Fin (facultatif)"
               hint={editing ? 'Laissez-la telle quelle : un rendez-vous déplacé garde sa durée.' : undefined} value={form.end} onInput={set('end')} error={error} />
      </div>
      <div class="fr-fieldset__element">
        <Field id={`${prefix}-location`} name="location" label="Lieu (facultatif)" value={form.location} onInput={set('location')} error={error} />
      </div>
      <div class="fr-fieldset__element">
        <Field id={`${prefix}-pro`} name="professional" label="Professionnel (facultatif)" value={form.professional} onInput={set('professional')} error={error} />
      </div>
      <div class="fr-fieldset__element">
        <Field id={`${prefix}-reminder`} name="reminder_at" type="datetime-local" label="Me le rappeler le (facultatif)"
               hint={editing ? 'Videz le champ pour ne plus recevoir de rappel.' : 'Un courriel ou un SMS vous est envoyé à ce moment-là.'}
               value={form.reminder} onInput={set('reminder')} error={error} />
      </div>
    </>
  );
}

export function AgendaPage() {
  const { space } = usePortal();
  const list = usePaged<Appointment>(
    (cursor) => must(apiClient().GET('/patients/{ins}/appointments', { params: { path: { ins: space.ins }, query: { limit: 20, cursor: cursor ?? undefined } } })),
    [space.ins], (a) => a.appointment_id,
  );
  const [form, setForm] = useState<AppointmentForm>(BLANK_FORM);
  const action = useAction();
  const ics = useAction();
  const changed = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      await must(apiClient().POST('/patients/{ins}/appointments', {
        params: { path: { ins: space.ins } },
        body: {
          title: form.title, start: form.start ? localToIso(form.start) : '', end: form.end ? localToIso(form.end) : null,
          location: form.location || null, professional: form.professional || null,
          reminder_at: form.reminder ? localToIso(form.reminder) : null,
        },
      }));
      setForm(BLANK_FORM);
      changed.setDone(null);
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
  const onChanged = (message: string) => {
    changed.setDone(message);
    action.setDone(null);
    list.reload();
  };
  return (
    <>
      <PageTitle lead="Vos rendez-vous de santé. Téléchargez l’agenda pour l’ajouter à votre calendrier.">Agenda</PageTitle>
      <ErrorAlert error={ics.error} />
      <Success>{ics.done}</Success>
      <p><button type="button" class="fr-btn fr-btn--secondary" disabled={ics.busy} onClick={() => void download()}>Télécharger l’agenda (.ics)</button></p>
      <h2 class="fr-h4">Rendez-vous</h2>
      <Success>{changed.done}</Success>
      <PagedItems list={list} label="Rendez-vous" empty="Aucun rendez-vous dans l’agenda." loading="Chargement des rendez-vous…"
                  more="Afficher plus de rendez-vous">
        {(a) => <AppointmentItem key={`${a.appointment_id}-${a.updated_at ?? ''}`} appointment={a} onChanged={onChanged} />}
      </PagedItems>
      <form class="fr-mt-4w" onSubmit={submit} noValidate>
        <fieldset class="fr-fieldset">
          <legend class="fr-fieldset__legend">Ajouter un rendez-vous</legend>
          <AppointmentFields prefix="appt" form={form} onChange={setForm} error={action.error} />
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

function AppointmentItem({ appointment: a, onChanged }: { appointment: Appointment; onChanged: (message: string) => void }) {
  const { space } = usePortal();
  const [mode, setMode] = useState<'view' | 'edit' | 'cancel'>('view');
  const [form, setForm] = useState<AppointmentForm>(formOf(a));
  const action = useAction();
  const path = { ins: space.ins, appointment_id: a.appointment_id };
  const save = (e: Event) => {
    e.preventDefault();
    const body = appointmentChanges(a, form);
    if (Object.keys(body).length === 0) {
      setMode('view');
      return;
    }
    void action.run(async () => {
      const saved = await must(apiClient().PATCH('/patients/{ins}/appointments/{appointment_id}', { params: { path }, body }));
      onChanged(`Le rendez-vous « ${saved.title} » est modifié.`);
      return null;
    });
  };
  const cancel = () => action.run(async () => {
    await must(apiClient().DELETE('/patients/{ins}/appointments/{appointment_id}', { params: { path } }));
    onChanged(`Le rendez-vous « ${a.title} » est annulé.`);
    return null;
  });
  return (
    <li>
      <p class="fr-mb-1v"><strong>{a.title}</strong></p>
      <p class="fr-text--sm ens-meta fr-mb-1w">
        {formatDateTime(a.start)}{a.location ? ` · ${a.location}` : ''}{a.professional ? ` · ${a.professional}` : ''}
        {a.reminder_at ? ` · rappel le ${formatDateTime(a.reminder_at)}` : ''}
      </p>
      {mode === 'cancel' && <ErrorAlert error={action.error} title="Le rendez-vous n’a pas été annulé" />}
      {mode === 'view' && (
        <ul class="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm">
          <li><button type="button" class="fr-btn fr-btn--secondary" aria-label={`Modifier « ${a.title} »`} onClick={() => { setForm(formOf(a)); setMode('edit'); }}>Modifier</button></li>
          <li><button type="button" class="fr-btn fr-btn--tertiary" aria-label={`Annuler le rendez-vous « ${a.title} »`} onClick={() => setMode('cancel')}>Annuler le rendez-vous</button></li>
        </ul>
      )}
      {mode === 'cancel' && (
        <div role="group" aria-label={`Confirmer l’annulation de « ${a.title} »`}>
          <p class="fr-text--sm">Annuler « {a.title} » du {formatDateTime(a.start)} ? Il disparaît de l’agenda, avec son rappel.</p>
          <ul class="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm">
            <li><button type="button" class="fr-btn" disabled={action.busy} onClick={() => void cancel()}>Confirmer l’annulation</button></li>
            <li><button type="button" class="fr-btn fr-btn--secondary" onClick={() => setMode('view')}>Garder le rendez-vous</button></li>
          </ul>
        </div>
      )}
      {mode === 'edit' && (
        <form onSubmit={save} noValidate aria-label={`Modifier « ${a.title} »`}>
          <fieldset class="fr-fieldset">
            <legend class="fr-fieldset__legend">Modifier « {a.title} »</legend>
            <AppointmentFields prefix={`appt-${a.appointment_id}`} form={form} onChange={setForm} error={action.error} editing />
            <div class="fr-fieldset__element">
              <ErrorAlert error={action.error} title="Le rendez-vous n’a pas été modifié" />
              <ul class="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm">
                <li><Submit busy={action.busy}>Enregistrer les modifications</Submit></li>
                <li><button type="button" class="fr-btn fr-btn--secondary" onClick={() => setMode('view')}>Ne pas modifier</button></li>
              </ul>
            </div>
          </fieldset>
        </form>
      )}
    </li>
  );
}

const KINDS: Record<string, string> = { vaccination: 'Vaccination', screening: 'Dépistage' };
const TIMING: Record<string, string> = { due: 'à faire maintenant', upcoming: 'bientôt' };

type Reminder = Schemas['Reminder'];
type ReminderStatus = Reminder['status'];

export const STATUSES: { value: ReminderStatus; label: string }[] = [
  { value: 'planned', label: 'Prévu (à faire)' },
  { value: 'done', label: 'Fait' },
  { value: 'not_done', label: 'Je ne le ferai pas' },
  { value: 'postponed', label: 'Reporté' },
];

/** Where a recommendation stands, in a sentence. */
export function statusSentence(r: Pick<Reminder, 'status' | 'postponed_until'>): string {
  switch (r.status) {
    case 'done': return 'Fait';
    case 'not_done': return 'Vous ne le ferez pas';
    case 'postponed': return r.postponed_until ? `Reporté au ${formatDate(r.postponed_until)}` : 'Reporté';
    default: return 'Prévu';
  }
}

/** The body of PUT /reminders/{id}: a postponement carries its day, any other status none. */
export function statusUpdate(status: ReminderStatus, until: string): Schemas['ReminderStatusUpdate'] {
  return status === 'postponed' ? { status, postponed_until: until || null } : { status };
}

export function PreventionPage() {
  const { space } = usePortal();
  const reminders = useLoad(() => must(apiClient().GET('/patients/{ins}/reminders', { params: { path: { ins: space.ins } } })), [space.ins]);
  const [updated, setUpdated] = useState<Record<string, Reminder>>({});
  const [done, setDone] = useState<string | null>(null);
  const items = (reminders.data?.items ?? []).map((r) => updated[r.reminder_id] ?? r);
  return (
    <>
      <PageTitle lead="Les vaccinations et dépistages recommandés pour votre âge, selon le calendrier officiel. Dites où vous en êtes : une recommandation faite ou reportée n’est plus rappelée avant sa prochaine échéance.">Prévention</PageTitle>
      {reminders.loading && !reminders.data && <Loading what="Chargement des recommandations…" />}
      <ErrorAlert error={reminders.error} />
      <Success>{done}</Success>
      {reminders.data && items.length === 0 && <Empty>Aucune recommandation pour le moment.</Empty>}
      {items.length > 0 && (
        <ul class="ens-list" aria-label="Recommandations">
          {items.map((r) => (
            <ReminderItem key={r.reminder_id} reminder={r} onSaved={(saved) => {
              setUpdated((before) => ({ ...before, [saved.reminder_id]: saved }));
              setDone(`« ${saved.label} » : ${statusSentence(saved).toLowerCase()}.`);
            }} />
          ))}
        </ul>
      )}
    </>
  );
}

function ReminderItem({ reminder: r, onSaved }: { reminder: Reminder; onSaved: (saved: Reminder) => void }) {
  const { space } = usePortal();
  const [status, setStatus] = useState<ReminderStatus>(r.status);
  const [until, setUntil] = useState(r.postponed_until ?? '');
  const action = useAction();
  const id = `reminder-${r.reminder_id.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const save = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const saved = await must(apiClient().PUT('/patients/{ins}/reminders/{reminder_id}', {
        params: { path: { ins: space.ins, reminder_id: r.reminder_id } }, body: statusUpdate(status, until),
      }));
      onSaved(saved);
      return null;
    });
  };
  return (
    <li>
      <p class="fr-mb-1v"><strong>{r.label}</strong></p>
      <p class="fr-text--sm ens-meta">
        {KINDS[r.kind] ?? r.kind}{r.status === 'planned' ? ` · ${TIMING[r.timing] ?? r.timing}` : ''} · à partir du {formatDate(r.due_on)} · {statusSentence(r)}
      </p>
      <form onSubmit={save} noValidate aria-label={`Où en êtes-vous : ${r.label}`}>
        <ErrorAlert error={action.error} title="Votre réponse n’a pas été enregistrée" />
        <div class="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
          <div class="fr-col-12 fr-col-md-5">
            <Select id={`${id}-status`} label="Où en êtes-vous ?" value={status} options={STATUSES}
                    onChange={(v) => setStatus(v as ReminderStatus)} />
          </div>
          {status === 'postponed' && (
            <div class="fr-col-12 fr-col-md-4">
              <Field id={`${id}-until`} name="postponed_until" type="date" label="Me le rappeler le" value={until}
                     onInput={setUntil} error={action.error} required />
            </div>
          )}
          <div class="fr-col-12 fr-col-md-3">
            <Submit busy={action.busy} secondary>Enregistrer</Submit>
          </div>
        </div>
      </form>
    </li>
  );
}
