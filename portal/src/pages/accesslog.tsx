/** The access log (CONTRACT §5): every access by someone other than the person, newest first, paged; filtered by
 * actor, mode and period (§10), each filter one Query of the API per page. */

import { useState } from 'preact/hooks';

import { apiClient, must, type Schemas } from '../api';
import { usePortal } from '../context';
import { formatDate, formatDateTime, MODES, professionLabel, roleLabel } from '../format';
import { usePaged } from '../hooks';
import { Field, PagedItems, PageTitle, Select } from '../ui';

type Entry = Schemas['AccessEntry'];

const ACTIONS: Record<string, string> = {
  list_documents: 'a consulté la liste des documents',
  read_document: 'a ouvert un document',
  download_document: 'a téléchargé un document',
  add_document: 'a ajouté un document',
  read_profile: 'a consulté le profil médical',
  read_vaccinations: 'a consulté les vaccinations',
  read_measurements: 'a consulté les mesures',
  read_summary: 'a téléchargé la synthèse',
  emergency_access: 'a ouvert un accès en urgence',
};

export function actionLabel(action: string): string {
  return ACTIONS[action] ?? action.replace(/_/g, ' ');
}

export interface LogFilters {
  actor_id: string;
  mode: string;
  since: string;
  until: string;
}

export const NO_FILTERS: LogFilters = { actor_id: '', mode: '', since: '', until: '' };

/** A day (YYYY-MM-DD, in the person's time) as the instant it starts, or, for `until`, the last instant it has. */
export function dayBound(day: string, end: boolean): string {
  const [y, m, d] = day.split('-').map(Number);
  const instant = end ? new Date(y, m - 1, d, 23, 59, 59) : new Date(y, m - 1, d, 0, 0, 0);
  return instant.toISOString().replace('.000Z', 'Z');
}

/** The query of GET /access-log for these filters: only those given (the API checks each, and names a wrong one). */
export function logQuery(filters: LogFilters): { actor_id?: string; mode?: 'normal' | 'emergency' | 'app'; since?: string; until?: string } {
  const query: ReturnType<typeof logQuery> = {};
  if (filters.actor_id.trim()) query.actor_id = filters.actor_id.replace(/\s/g, '');
  if (filters.mode) query.mode = filters.mode as 'normal' | 'emergency' | 'app';
  if (filters.since) query.since = dayBound(filters.since, false);
  if (filters.until) query.until = dayBound(filters.until, true);
  return query;
}

export function filtered(filters: LogFilters): boolean {
  return Object.values(filters).some((v) => v.trim() !== '');
}

/** Who accessed, in words: "Professionnel de santé (médecin) n° 10003456789", "Aidant Jeanne Durand". */
function actorOf(entry: Entry): string {
  const who = entry.actor.rpps ?? entry.actor.id;
  return `${roleLabel(entry.actor.role)}${entry.actor.profession ? ` (${professionLabel(entry.actor.profession)})` : ''} n° ${who}`;
}

export function AccessLogPage() {
  const { space } = usePortal();
  const [form, setForm] = useState<LogFilters>(NO_FILTERS);
  const [applied, setApplied] = useState<LogFilters>(NO_FILTERS);
  const log = usePaged<Entry>(
    (cursor) => must(apiClient().GET('/patients/{ins}/access-log', {
      params: { path: { ins: space.ins }, query: { limit: 20, cursor: cursor ?? undefined, ...logQuery(applied) } },
    })),
    [space.ins, applied.actor_id, applied.mode, applied.since, applied.until],
  );
  const set = (name: keyof LogFilters) => (value: string) => setForm({ ...form, [name]: value });
  const only = (actor: string) => {
    const next = { ...form, actor_id: actor };
    setForm(next);
    setApplied(next);
  };
  return (
    <>
      <PageTitle lead="Chaque consultation ou ajout fait par une autre personne que vous : professionnels, établissements, applications, aidants.">
        Historique des accès
      </PageTitle>
      <form class="fr-mb-4w" aria-label="Filtrer l’historique" noValidate
            onSubmit={(e) => { e.preventDefault(); setApplied(form); }}>
        <h2 class="fr-h6 fr-mb-2w">Filtrer l’historique</h2>
        <div class="fr-grid-row fr-grid-row--gutters">
          <div class="fr-col-12 fr-col-md-6">
            <Field id="log-actor" name="actor_id" label="Qui" hint="N° RPPS d’un professionnel, FINESS d’un établissement, application ou aidant."
                   value={form.actor_id} onInput={set('actor_id')} error={log.error} autocomplete="off" />
          </div>
          <div class="fr-col-12 fr-col-md-6">
            <Select id="log-mode" label="Type d’accès" value={form.mode} placeholder="Tous les accès" onChange={set('mode')}
                    options={Object.entries(MODES).map(([value, label]) => ({ value, label }))} />
          </div>
          <div class="fr-col-12 fr-col-md-6">
            <Field id="log-since" name="since" type="date" label="Depuis le" value={form.since} onInput={set('since')} error={log.error} />
          </div>
          <div class="fr-col-12 fr-col-md-6">
            <Field id="log-until" name="until" type="date" label="Jusqu’au" value={form.until} onInput={set('until')} error={log.error} />
          </div>
        </div>
        <ul class="fr-btns-group fr-btns-group--inline-sm">
          <li><button type="submit" class="fr-btn fr-btn--secondary">Filtrer</button></li>
          {filtered(applied) && (
            <li><button type="button" class="fr-btn fr-btn--tertiary" onClick={() => { setForm(NO_FILTERS); setApplied(NO_FILTERS); }}>Effacer les filtres</button></li>
          )}
        </ul>
      </form>
      {filtered(applied) && (
        <p class="fr-text--sm" role="status">
          Accès affichés :{applied.actor_id ? ` de n° ${applied.actor_id}` : ''}{applied.mode ? ` · ${MODES[applied.mode] ?? applied.mode}` : ''}
          {applied.since ? ` · depuis le ${formatDate(applied.since)}` : ''}{applied.until ? ` · jusqu’au ${formatDate(applied.until)}` : ''}
        </p>
      )}
      <PagedItems list={log} label="Accès à l’espace" loading="Chargement de l’historique…" more="Afficher plus d’accès"
                  empty={filtered(applied) ? 'Aucun accès ne correspond à ces filtres.' : 'Personne d’autre que vous n’a encore accédé à cet espace.'}>
        {(entry, index) => (
            <li key={`${entry.at}-${index}`}>
              <p class="fr-mb-1v">
                <strong>{roleLabel(entry.actor.role)}</strong>
                {entry.actor.profession ? ` (${professionLabel(entry.actor.profession)})` : ''} n° {entry.actor.rpps ?? entry.actor.id}{' '}
                {actionLabel(entry.action)}
              </p>
              <p class="fr-text--sm ens-meta fr-mb-1v">
                {formatDateTime(entry.at)} · {MODES[entry.mode] ?? entry.mode}
                {entry.reason ? ` · motif : ${entry.reason}` : ''}
              </p>
              {applied.actor_id !== (entry.actor.rpps ?? entry.actor.id) && (
                <button type="button" class="fr-btn fr-btn--sm fr-btn--tertiary-no-outline"
                        onClick={() => only(entry.actor.rpps ?? entry.actor.id)}>
                  Voir seulement les accès de : {actorOf(entry)}
                </button>
              )}
            </li>
        )}
      </PagedItems>
    </>
  );
}
