/** Export (portability, CONTRACT §10): ask for one ZIP of the whole space, follow it while it is built, download it
 * through a short-lived link. The person's own space and the children's; never a carer's. */

import { useEffect, useState } from 'preact/hooks';

import { apiClient, followDownload, must, type Schemas } from '../api';
import { usePortal } from '../context';
import { formatDateTime, formatSize } from '../format';
import { useAction } from '../hooks';
import { ErrorAlert, Loading, PageTitle, Success } from '../ui';

type ExportStatus = Schemas['ExportStatus'];

/** The export asked for in each space during this visit (memory only, as everything the portal keeps). */
const asked = new Map<string, string>();

/** How long to wait before asking again while an export is built: quick at first, then every few seconds. */
export function pollDelay(attempt: number): number {
  return Math.min(1000 * 2 ** Math.min(attempt, 3), 5000);
}

export function exportSentence(status: Pick<ExportStatus, 'status' | 'size' | 'expires_at'>): string {
  switch (status.status) {
    case 'ready':
      return `Votre export est prêt${status.size ? ` (${formatSize(status.size)})` : ''}`
        + `${status.expires_at ? ` : téléchargez-le avant le ${formatDateTime(status.expires_at)}, il sera ensuite effacé` : ''}.`;
    case 'failed':
      return 'L’export n’a pas pu être préparé.';
    default:
      return 'Votre export est en préparation : vous pouvez rester sur cette page, ou revenir plus tard (un courriel vous prévient).';
  }
}

export function ExportPage() {
  const { space } = usePortal();
  const [exportId, setExportId] = useState<string | null>(asked.get(space.ins) ?? null);
  const [status, setStatus] = useState<ExportStatus | null>(null);
  const [problem, setProblem] = useState<unknown>(undefined);
  const request = useAction();
  const download = useAction();

  useEffect(() => {
    if (!exportId) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const follow = async (attempt: number) => {
      try {
        const next = await must(apiClient().GET('/patients/{ins}/exports/{export_id}', {
          params: { path: { ins: space.ins, export_id: exportId } },
        }));
        if (!live) return;
        setStatus(next);
        if (next.status === 'running') timer = setTimeout(() => void follow(attempt + 1), pollDelay(attempt));
      } catch (error) {
        if (live) setProblem(error);
      }
    };
    void follow(0);
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [exportId, space.ins]);

  const ask = () => request.run(async () => {
    setProblem(undefined);
    setStatus(null);
    const accepted = await must(apiClient().POST('/patients/{ins}/exports', { params: { path: { ins: space.ins } } }));
    asked.set(space.ins, accepted.export_id);
    setExportId(accepted.export_id);
    return null;
  });
  const save = () => download.run(async () => {
    // A fresh link each time: the one given expires within minutes.
    const fresh = await must(apiClient().GET('/patients/{ins}/exports/{export_id}', {
      params: { path: { ins: space.ins, export_id: exportId! } },
    }));
    setStatus(fresh);
    if (!fresh.download_url) throw new Error('Cet export n’est plus disponible : demandez-en un nouveau.');
    followDownload(fresh.download_url);
    return 'Le téléchargement de votre export a commencé.';
  });
  const running = exportId !== null && (status === null || status.status === 'running') && !problem;
  return (
    <>
      <PageTitle lead="Récupérez toutes les données de cet espace dans un fichier ZIP : les documents, et au format JSON et FHIR le profil médical, les vaccinations, les mesures, l’agenda, les messages, les remboursements, les accords donnés et l’historique des accès.">
        Export des données
      </PageTitle>
      <ErrorAlert error={request.error ?? problem} title="L’export n’a pas pu être demandé ou suivi" />
      {running && <Loading what="Votre export est en préparation…" />}
      {status && status.status !== 'running' && (
        status.status === 'ready' ? (
          <div class="fr-alert fr-alert--success fr-mb-3w" role="status">
            <h2 class="fr-alert__title">Export prêt</h2>
            <p>{exportSentence(status)}</p>
          </div>
        ) : (
          <div class="fr-alert fr-alert--error fr-mb-3w" role="alert">
            <h2 class="fr-alert__title">{exportSentence(status)}</h2>
            {status.failure && <p>{status.failure}</p>}
          </div>
        )
      )}
      {status?.status === 'running' && <p>{exportSentence(status)}</p>}
      <ErrorAlert error={download.error} />
      <Success>{download.done}</Success>
      <ul class="fr-btns-group fr-btns-group--inline-md">
        {status?.status === 'ready' && (
          <li><button type="button" class="fr-btn" disabled={download.busy} onClick={() => void save()}>Télécharger l’export (ZIP)</button></li>
        )}
        {!running && (
          <li>
            <button type="button" class={`fr-btn${status?.status === 'ready' ? ' fr-btn--secondary' : ''}`} disabled={request.busy}
                    onClick={() => void ask()}>
              {exportId ? 'Demander un nouvel export' : 'Demander l’export des données'}
            </button>
          </li>
        )}
      </ul>
    </>
  );
}
