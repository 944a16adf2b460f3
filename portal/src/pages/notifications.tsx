/** The notification centre and the notification preferences (CONTRACT §10): what was sent to the person and about
 * the spaces they manage, newest first, with its read state; the five switches, and the notices always sent. */

import { useEffect, useState } from 'preact/hooks';

import { apiClient, must, type Schemas } from '../api';
import { usePortal } from '../context';
import { formatDateTime, noticeKindLabel } from '../format';
import { useAction, useLoad, usePaged } from '../hooks';
import type { Space } from '../spaces';
import { Checkbox, ErrorAlert, Loading, PagedItems, PageTitle, Submit, Success } from '../ui';

type Notification = Schemas['NotificationItem'];

const CHANNELS: Record<string, string> = { email: 'par courriel', sms: 'par SMS', postal: 'par courrier' };

/** Whose space a notice was about, as the switcher names it ("Mon espace", "Espace de Léo (enfant)"). */
export function spaceOfNotice(spaces: Space[], ins: string): string {
  return spaces.find((s) => s.ins === ins)?.label ?? 'Un espace que vous ne gérez plus';
}

/** The read state shown: the API's, or read since the page loaded. */
export function isRead(item: { notification_id: string; read: boolean }, readHere: ReadonlySet<string>): boolean {
  return item.read || readHere.has(item.notification_id);
}

export function NotificationsPage() {
  const { spaces } = usePortal();
  const list = usePaged<Notification>(
    (cursor) => must(apiClient().GET('/me/notifications', { params: { query: { limit: 20, cursor: cursor ?? undefined } } })),
    [], (n) => n.notification_id,
  );
  const [readHere, setReadHere] = useState<ReadonlySet<string>>(new Set());
  const action = useAction();
  const markRead = (item: Notification) => action.run(async () => {
    await must(apiClient().POST('/me/notifications/{notification_id}/read', {
      params: { path: { notification_id: item.notification_id } },
    }));
    setReadHere((before) => new Set([...before, item.notification_id]));
    return `« ${item.subject} » est marquée comme lue.`;
  });
  const unread = list.items.filter((n) => !isRead(n, readHere)).length;
  return (
    <>
      <PageTitle lead="Les courriels, SMS et courriers envoyés pour vous et pour les espaces que vous gérez, du plus récent au plus ancien.">
        Notifications
      </PageTitle>
      {list.loaded && list.items.length > 0 && (
        <p role="status">{unread === 0 ? 'Tout est lu.' : unread === 1 ? '1 notification non lue.' : `${unread} notifications non lues.`}</p>
      )}
      <ErrorAlert error={action.error} />
      <Success>{action.done}</Success>
      <PagedItems list={list} label="Notifications reçues" empty="Aucune notification pour le moment."
                  loading="Chargement des notifications…" more="Afficher plus de notifications">
        {(n) => {
          const read = isRead(n, readHere);
          return (
            <li key={n.notification_id}>
              <p class="fr-mb-1v">
                {!read && <span class="fr-badge fr-badge--sm fr-badge--new fr-mr-1w">Non lue</span>}
                <strong>{n.subject}</strong>
              </p>
              <p class="fr-text--sm ens-meta">
                {noticeKindLabel(n.kind)} · {spaceOfNotice(spaces, n.ins)} · envoyée {CHANNELS[n.channel] ?? n.channel} le {formatDateTime(n.at)}
              </p>
              {!read && (
                <button type="button" class="fr-btn fr-btn--sm fr-btn--tertiary" disabled={action.busy}
                        onClick={() => void markRead(n)}>
                  Marquer « {n.subject} » comme lue
                </button>
              )}
            </li>
          );
        }}
      </PagedItems>
    </>
  );
}

type Switches = Omit<Schemas['Preferences'], 'required' | 'updated_at'>;
type Switch = keyof Switches;

export const SWITCHES: { name: Switch; label: string; hint: string }[] = [
  { name: 'message', label: 'Nouveaux messages', hint: 'Un professionnel de santé vous a écrit.' },
  { name: 'document', label: 'Nouveaux documents', hint: 'Un document a été ajouté à votre espace.' },
  { name: 'appointment', label: 'Rappels de rendez-vous', hint: 'À l’heure de rappel choisie pour un rendez-vous.' },
  { name: 'synchronised_service', label: 'Services connectés', hint: 'Ce qu’une application à laquelle vous avez donné votre accord fait dans votre espace.' },
  { name: 'prevention', label: 'Rappels de prévention', hint: 'Vaccinations et dépistages recommandés.' },
];

export function switchesOf(preferences: Schemas['Preferences']): Switches {
  return {
    message: preferences.message, document: preferences.document, appointment: preferences.appointment,
    synchronised_service: preferences.synchronised_service, prevention: preferences.prevention,
  };
}

/** The five switches of GET|PUT /me/notification-preferences, and what is always sent. */
export function NotificationPreferences() {
  const loaded = useLoad(() => must(apiClient().GET('/me/notification-preferences')), []);
  const [values, setValues] = useState<Switches | null>(null);
  const [required, setRequired] = useState<string[]>([]);
  useEffect(() => {
    if (loaded.data) {
      setValues(switchesOf(loaded.data));
      setRequired(loaded.data.required);
    }
  }, [loaded.data]);
  const action = useAction();
  const save = (e: Event) => {
    e.preventDefault();
    if (!values) return;
    void action.run(async () => {
      const saved = await must(apiClient().PUT('/me/notification-preferences', { body: values }));
      setValues(switchesOf(saved));
      setRequired(saved.required);
      return 'Vos préférences de notification sont enregistrées.';
    });
  };
  return (
    <section aria-labelledby="preferences-title" class="fr-mb-6w">
      <h2 id="preferences-title" class="fr-h4">Préférences de notification</h2>
      {loaded.loading && !values && <Loading what="Chargement de vos préférences…" />}
      <ErrorAlert error={loaded.error} />
      {values && (
        <form onSubmit={save}>
          <fieldset class="fr-fieldset">
            <legend class="fr-fieldset__legend">Me prévenir par courriel ou SMS pour :</legend>
            <div class="fr-fieldset__element">
              {SWITCHES.map((s) => (
                <Checkbox key={s.name} id={`pref-${s.name}`} label={s.label} hint={s.hint} checked={values[s.name]}
                          onChange={(checked) => setValues({ ...values, [s.name]: checked })} />
              ))}
            </div>
            <div class="fr-fieldset__element">
              <ErrorAlert error={action.error} title="Vos préférences n’ont pas été enregistrées" />
              <Success>{action.done}</Success>
              <Submit busy={action.busy}>Enregistrer mes préférences</Submit>
            </div>
          </fieldset>
        </form>
      )}
      {required.length > 0 && (
        <>
          <p class="fr-mb-1w">La loi impose de vous envoyer toujours ces notifications :</p>
          <ul aria-label="Notifications toujours envoyées">
            {required.map((kind) => <li key={kind}>{noticeKindLabel(kind)}</li>)}
          </ul>
        </>
      )}
    </section>
  );
}
