/** Documents (CONTRACT §5): list with filters and paging, download, upload, mask, delete. */

import { useState } from 'preact/hooks';

import { apiClient, followDownload, must, type Schemas, uploadBytes } from '../api';
import { usePortal } from '../context';
import { formatDate, formatSize, roleLabel } from '../format';
import { useAction, useLoad, usePaged } from '../hooks';
import { ErrorAlert, Field, PagedItems, PageTitle, Select, Submit, Success } from '../ui';

type Doc = Schemas['DocumentView'];
type DocType = Schemas['DocumentType'];

const PAGE = 20;
const FORMATS: Record<string, string> = {
  'application/pdf': 'PDF', 'text/plain': 'texte', 'application/rtf': 'RTF', 'image/jpeg': 'JPEG',
  'image/png': 'PNG', 'image/tiff': 'TIFF',
};
const ACCEPT = Object.keys(FORMATS).join(',');
const MAX_BYTES = 5_000_000;

/** The content type the API expects for a chosen file (browsers give '' for some). */
export function contentTypeOf(file: { name: string; type: string }): string | null {
  if (file.type && FORMATS[file.type]) return file.type;
  const ext = file.name.toLowerCase().split('.').pop() ?? '';
  const byExt: Record<string, string> = {
    pdf: 'application/pdf', txt: 'text/plain', rtf: 'application/rtf', jpg: 'image/jpeg', jpeg: 'image/jpeg',
    png: 'image/png', tif: 'image/tiff', tiff: 'image/tiff',
  };
  return byExt[ext] ?? null;
}

function authorOf(doc: Doc, selfIns: string): string {
  if (doc.author.role === 'patient') return doc.author.id === selfIns ? 'Vous' : 'Un représentant légal';
  return roleLabel(doc.author.role);
}

const STATUS: Record<string, string> = {
  available: 'Disponible', pending: 'En cours de vérification', superseded: 'Remplacé par une version plus récente',
  rejected: 'Refusé',
};

export function DocumentsPage() {
  const { space } = usePortal();
  const ins = space.ins;
  const [category, setCategory] = useState('');
  const [typeCode, setTypeCode] = useState('');
  const types = useLoad(() => must(apiClient().GET('/document-types')), []);
  const list = usePaged<Doc>(
    (cursor) => must(apiClient().GET('/patients/{ins}/documents', {
      params: { path: { ins }, query: { limit: PAGE, cursor: cursor ?? undefined, category: category || undefined, type_code: typeCode || undefined } },
    })),
    [ins, category, typeCode],
    (d) => d.document_id,
  );
  const allTypes: DocType[] = types.data?.items ?? [];
  const categories = [...new Map(allTypes.map((t) => [t.category, t.category_label])).entries()];
  const shownTypes = allTypes.filter((t) => !category || t.category === category);

  return (
    <>
      <PageTitle lead="Les documents de santé de cet espace : comptes rendus, ordonnances, résultats, imagerie…">
        Documents
      </PageTitle>
      <Upload types={allTypes} onUploaded={list.reload} />
      <h2 class="fr-h4 fr-mt-4w">Liste des documents</h2>
      <form class="fr-grid-row fr-grid-row--gutters" aria-label="Filtrer les documents" onSubmit={(e) => e.preventDefault()}>
        <div class="fr-col-12 fr-col-md-6">
          <Select id="filter-category" label="Catégorie" value={category} placeholder="Toutes les catégories"
                  options={categories.map(([value, label]) => ({ value, label }))}
                  onChange={(v) => { setCategory(v); setTypeCode(''); }} />
        </div>
        <div class="fr-col-12 fr-col-md-6">
          <Select id="filter-type" label="Type de document" value={typeCode} placeholder="Tous les types"
                  options={shownTypes.map((t) => ({ value: t.code, label: t.label }))} onChange={setTypeCode} />
        </div>
      </form>
      <PagedItems list={list} label="Documents" loading="Chargement des documents…" more="Afficher plus de documents"
                  empty={category || typeCode ? 'Aucun document ne correspond à ces filtres.' : 'Aucun document pour le moment.'}>
        {(doc) => <DocumentItem key={doc.document_id} doc={doc} onChanged={list.reload} />}
      </PagedItems>
    </>
  );
}

function DocumentItem({ doc, onChanged }: { doc: Doc; onChanged: () => void }) {
  const { space, me } = usePortal();
  const action = useAction();
  const [confirming, setConfirming] = useState(false);
  const path = { ins: space.ins, document_id: doc.document_id };

  const download = () => action.run(async () => {
    const detail = await must(apiClient().GET('/patients/{ins}/documents/{document_id}', { params: { path } }));
    if (!detail.download_url) throw new Error('Ce document n’est pas encore disponible au téléchargement.');
    followDownload(detail.download_url);
    return null;
  });
  const toggleMask = () => action.run(async () => {
    await must(apiClient().PATCH('/patients/{ins}/documents/{document_id}', { params: { path }, body: { masked: !doc.masked } }));
    onChanged();
    return null;
  });
  const remove = () => action.run(async () => {
    await must(apiClient().DELETE('/patients/{ins}/documents/{document_id}', { params: { path } }));
    onChanged();
    return null;
  });

  return (
    <li>
      <h3 class="fr-h6 fr-mb-1v ens-wrap">{doc.title}</h3>
      <p class="fr-text--sm ens-meta">
        {doc.category_label} · {formatDate(doc.created_at)} · {authorOf(doc, me.ins)} · {FORMATS[doc.content_type] ?? doc.content_type}, {formatSize(doc.size)}
        {doc.status !== 'available' && <> · {STATUS[doc.status] ?? doc.status}</>}
      </p>
      {doc.masked && <p class="fr-badge fr-badge--info fr-badge--sm fr-mb-1w">Masqué aux professionnels</p>}
      {doc.hidden_from_representatives && (
        <p class="fr-badge fr-badge--purple-glycine fr-badge--sm fr-mb-1w">Caché à vos représentants légaux et aidants</p>
      )}
      <ErrorAlert error={action.error} />
      {confirming ? (
        <div role="group" aria-label={`Confirmer la suppression de « ${doc.title} »`}>
          <p class="fr-text--sm">Supprimer « {doc.title} » ? Il disparaîtra de votre espace (une copie reste archivée).</p>
          <ul class="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm">
            <li><button type="button" class="fr-btn" disabled={action.busy} onClick={() => void remove()}>Confirmer la suppression</button></li>
            <li><button type="button" class="fr-btn fr-btn--secondary" onClick={() => setConfirming(false)}>Annuler</button></li>
          </ul>
        </div>
      ) : (
        <ul class="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm">
          <li>
            <button type="button" class="fr-btn fr-btn--secondary" disabled={action.busy || doc.status !== 'available'}
                    aria-label={`Télécharger « ${doc.title} »`} onClick={() => void download()}>Télécharger</button>
          </li>
          <li>
            <button type="button" class="fr-btn fr-btn--tertiary" disabled={action.busy}
                    aria-label={`${doc.masked ? 'Démasquer' : 'Masquer'} « ${doc.title} »`} onClick={() => void toggleMask()}>
              {doc.masked ? 'Démasquer' : 'Masquer'}
            </button>
          </li>
          <li>
            <button type="button" class="fr-btn fr-btn--tertiary" disabled={action.busy}
                    aria-label={`Supprimer « ${doc.title} »`} onClick={() => setConfirming(true)}>Supprimer</button>
          </li>
        </ul>
      )}
    </li>
  );
}

function Upload({ types, onUploaded }: { types: DocType[]; onUploaded: () => void }) {
  const { space } = usePortal();
  const [title, setTitle] = useState('');
  const [typeCode, setTypeCode] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const action = useAction();

  const submit = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    setFileProblem(null);
    if (!file) return setFileProblem('Choisissez le fichier à ajouter.');
    const contentType = contentTypeOf(file);
    if (!contentType) return setFileProblem('Ce format n’est pas accepté : PDF, texte, RTF, JPEG, PNG ou TIFF.');
    if (file.size > MAX_BYTES) return setFileProblem('Ce fichier dépasse 5 Mo : réduisez-le avant de l’ajouter.');
    void action.run(async () => {
      const ticket = await must(apiClient().POST('/patients/{ins}/documents', {
        params: { path: { ins: space.ins } },
        body: { title: title.trim() || file.name, type_code: typeCode, content_type: contentType, size: file.size },
      }));
      await uploadBytes(ticket.upload_url, ticket.upload_headers ?? { 'Content-Type': contentType }, file);
      await waitUntilChecked(space.ins, ticket.document_id);
      setTitle('');
      setFile(null);
      form.reset();
      onUploaded();
      return 'Le document a été ajouté à l’espace.';
    });
  };

  return (
    <section aria-labelledby="upload-title" class="fr-p-3w fr-background-alt--grey">
      <h2 id="upload-title" class="fr-h4">Ajouter un document</h2>
      <ErrorAlert error={action.error} title="Le document n’a pas été ajouté" />
      <Success>{action.done}</Success>
      <form onSubmit={submit} noValidate>
        <Field id="upload-title-input" name="title" label="Titre" hint="Par exemple : Ordonnance du Dr Martin."
               value={title} onInput={setTitle} error={action.error} maxLength={200} />
        <Select id="upload-type" label="Type de document" value={typeCode} placeholder="Choisir un type" required
                options={types.map((t) => ({ value: t.code, label: `${t.label} (${t.category_label})` }))} onChange={setTypeCode} />
        <div class={`fr-upload-group fr-mb-3w${fileProblem ? ' fr-input-group--error' : ''}`}>
          <label class="fr-label" for="upload-file">
            Fichier
            <span class="fr-hint-text" id="upload-file-hint">PDF, texte, RTF, JPEG, PNG ou TIFF ; 5 Mo au plus.</span>
          </label>
          <input class="fr-upload" type="file" id="upload-file" accept={ACCEPT}
                 aria-describedby={`upload-file-hint${fileProblem ? ' upload-file-error' : ''}`}
                 onChange={(e) => setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)} />
          {fileProblem && <p class="fr-error-text" id="upload-file-error" role="alert">{fileProblem}</p>}
        </div>
        <Submit busy={action.busy}>Ajouter le document</Submit>
      </form>
    </section>
  );
}

/** The S3 event checks the bytes and makes the document available (or rejects it): wait a little for it. */
async function waitUntilChecked(ins: string, documentId: string): Promise<void> {
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const detail = await must(apiClient().GET('/patients/{ins}/documents/{document_id}', {
      params: { path: { ins, document_id: documentId } },
    })).catch(() => null);
    if (detail && detail.status === 'rejected') {
      throw new Error(detail.rejection || 'Le fichier a été refusé : son contenu ne correspond pas au format déclaré.');
    }
    if (detail && detail.status !== 'pending') return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
