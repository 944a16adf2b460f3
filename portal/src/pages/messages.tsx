/** Secure messaging (CONTRACT §6): conversations started by professionals; the person reads and answers. */

import { useState } from 'preact/hooks';

import { apiClient, followDownload, must, type Schemas } from '../api';
import { usePortal } from '../context';
import { formatDateTime, professionLabel, roleLabel } from '../format';
import { useAction, useLoad, usePaged } from '../hooks';
import { Empty, ErrorAlert, Field, Link, Loading, More, PageTitle, Submit, Success } from '../ui';

type Summary = Schemas['ConversationSummary'];

function who(p: Schemas['Participant']): string {
  if (p.role === 'patient') return 'Vous';
  return `${roleLabel(p.role)}${p.profession ? ` (${professionLabel(p.profession)})` : ''} n° ${p.id}`;
}

export function MessagesPage() {
  const { space } = usePortal();
  const list = usePaged<Summary>(
    (cursor) => must(apiClient().GET('/conversations', { params: { query: { limit: 20, cursor: cursor ?? undefined } } })),
    [space.ins],
    (c) => c.conversation_id,
  );
  const mine = list.items.filter((c) => c.patient_ins === space.ins);
  return (
    <>
      <PageTitle lead="Les professionnels et établissements de santé vous écrivent ici ; vous pouvez leur répondre.">
        Messagerie
      </PageTitle>
      <ErrorAlert error={list.error} />
      {list.loading && !list.loaded && <Loading what="Chargement des conversations…" />}
      {list.loaded && mine.length === 0 && <Empty>Aucun message pour cet espace.</Empty>}
      {mine.length > 0 && (
        <ul class="ens-list" aria-label="Conversations">
          {mine.map((c) => (
            <li key={c.conversation_id}>
              <h2 class="fr-h6 fr-mb-1v"><Link to={`/messages/${encodeURIComponent(c.conversation_id)}`}>{c.subject}</Link></h2>
              <p class="fr-text--sm ens-meta fr-mb-0">
                De {who(c.starter)} · dernier message le {formatDateTime(c.last_message_at)} · {c.status === 'open' ? 'ouverte' : 'close'}
              </p>
            </li>
          ))}
        </ul>
      )}
      <More cursor={list.cursor} loading={list.loading} onMore={list.more} label="Afficher plus de conversations" />
    </>
  );
}

export function ConversationPage({ id }: { id: string }) {
  const conversation = useLoad(() => must(apiClient().GET('/conversations/{conversation_id}', {
    params: { path: { conversation_id: id } },
  })), [id]);
  const [body, setBody] = useState('');
  const action = useAction();
  const attachment = useAction();
  const data = conversation.data;

  const reply = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      await must(apiClient().POST('/conversations/{conversation_id}/messages', {
        params: { path: { conversation_id: id } }, body: { body },
      }));
      setBody('');
      conversation.reload();
      return 'Votre réponse est envoyée.';
    });
  };
  const open = (attachmentId: string) => attachment.run(async () => {
    const detail = await must(apiClient().GET('/conversations/{conversation_id}/attachments/{attachment_id}', {
      params: { path: { conversation_id: id, attachment_id: attachmentId } },
    }));
    const url = (detail as { download_url?: string | null }).download_url;
    if (!url) throw new Error('Cette pièce jointe n’est pas disponible.');
    followDownload(url);
    return null;
  });

  return (
    <>
      <PageTitle>{data ? data.subject : 'Conversation'}</PageTitle>
      <p><Link to="/messages" class="fr-link">Retour à la messagerie</Link></p>
      {conversation.loading && !data && <Loading what="Chargement de la conversation…" />}
      <ErrorAlert error={conversation.error} />
      <ErrorAlert error={attachment.error} />
      {data && (
        <>
          <p class="ens-meta">Conversation avec {who(data.starter)} · {data.status === 'open' ? 'ouverte' : 'close : vous ne pouvez plus y répondre'}</p>
          <ol class="ens-list" aria-label="Messages">
            {data.messages.map((m) => (
              <li key={m.message_id} class={`ens-message${m.sender.role === 'patient' ? ' ens-message--mine' : ''}`}>
                <p class="fr-text--sm ens-meta fr-mb-1v">{who(m.sender)} · {formatDateTime(m.sent_at)}</p>
                <p class="ens-wrap">{m.body}</p>
                {m.attachments.length > 0 && (
                  <ul>
                    {m.attachments.map((a) => (
                      <li key={a.attachment_id}>
                        <button type="button" class="fr-btn fr-btn--sm fr-btn--tertiary" onClick={() => void open(a.attachment_id)}>
                          Télécharger la pièce jointe{a.title ? ` « ${a.title} »` : ''}
                        </button>
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ol>
          {data.status === 'open' && (
            <form onSubmit={reply} noValidate>
              <ErrorAlert error={action.error} title="La réponse n’est pas partie" />
              <Success>{action.done}</Success>
              <Field id="reply-body" name="body" label="Votre réponse" multiline value={body} onInput={setBody}
                     error={action.error} required maxLength={10000} />
              <Submit busy={action.busy}>Envoyer la réponse</Submit>
            </form>
          )}
        </>
      )}
    </>
  );
}
