/** The access log (CONTRACT §5): every access by someone other than the person, newest first, paged. */

import { apiClient, must, type Schemas } from '../api';
import { usePortal } from '../context';
import { formatDateTime, MODES, professionLabel, roleLabel } from '../format';
import { usePaged } from '../hooks';
import { PagedItems, PageTitle } from '../ui';

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

export function AccessLogPage() {
  const { space } = usePortal();
  const log = usePaged<Entry>(
    (cursor) => must(apiClient().GET('/patients/{ins}/access-log', {
      params: { path: { ins: space.ins }, query: { limit: 20, cursor: cursor ?? undefined } },
    })),
    [space.ins],
  );
  return (
    <>
      <PageTitle lead="Chaque consultation ou ajout fait par une autre personne que vous : professionnels, établissements, applications.">
        Historique des accès
      </PageTitle>
      <PagedItems list={log} label="Accès à l’espace" empty="Personne d’autre que vous n’a encore accédé à cet espace."
                  loading="Chargement de l’historique…" more="Afficher plus d’accès">
        {(entry, index) => (
            <li key={`${entry.at}-${index}`}>
              <p class="fr-mb-1v">
                <strong>{roleLabel(entry.actor.role)}</strong>
                {entry.actor.profession ? ` (${professionLabel(entry.actor.profession)})` : ''} n° {entry.actor.rpps ?? entry.actor.id}{' '}
                {actionLabel(entry.action)}
              </p>
              <p class="fr-text--sm ens-meta fr-mb-0">
                {formatDateTime(entry.at)} · {MODES[entry.mode] ?? entry.mode}
                {entry.reason ? ` · motif : ${entry.reason}` : ''}
              </p>
            </li>
        )}
      </PagedItems>
    </>
  );
}
