/** The people around the patient (CONTRACT §10): carers (aidants) invited by identity, accepted or refused by the
 * invited person, revoked by the person helped, their legal representative or the carer stepping down; a second
 * legal representative for a child's space; the invitations a person received. */

import { useState } from 'preact/hooks';

import { apiClient, must, type Schemas } from '../api';
import { usePortal } from '../context';
import { formatDate, formatDateTime } from '../format';
import { useAction, usePaged } from '../hooks';
import { navigate } from '../router';
import type { Space } from '../spaces';
import { ErrorAlert, Field, PagedItems, PageTitle, Submit, Success } from '../ui';

type Carer = Schemas['Carer'];
type Invitation = Schemas['Invitation'];

export interface IdentityForm {
  ins: string;
  given_name: string;
  family_name: string;
  birth_date: string;
}

export const BLANK_IDENTITY: IdentityForm = { ins: '', given_name: '', family_name: '', birth_date: '' };

/** The body of an invitation: the INS without the spaces people type in it, names trimmed. */
export function identityBody(form: IdentityForm): IdentityForm {
  return {
    ins: form.ins.replace(/[\s.-]/g, ''), given_name: form.given_name.trim(), family_name: form.family_name.trim(),
    birth_date: form.birth_date,
  };
}

const INVITATION_STATUS: Record<string, string> = {
  pending: 'En attente de votre réponse', accepted: 'Acceptée', refused: 'Refusée', expired: 'Expirée',
  cancelled: 'Retirée par la personne qui vous a invité', ended: 'Terminée',
};

export function invitationStatus(status: string): string {
  return INVITATION_STATUS[status] ?? status;
}

/** What an invitation asks, in a sentence. */
export function invitationSentence(invitation: Pick<Invitation, 'kind' | 'patient'>): string {
  const name = `${invitation.patient.given_name} ${invitation.patient.family_name}`;
  return invitation.kind === 'representative'
    ? `Gérer l’espace santé de ${name}, enfant, comme second représentant légal`
    : `Devenir l’aidant de ${name}`;
}

/** An identity's fields (who is invited, as their health insurer knows them). */
function IdentityFields({ prefix, form, onChange, error }: {
  prefix: string; form: IdentityForm; onChange: (form: IdentityForm) => void; error: unknown;
}) {
  const set = (name: keyof IdentityForm) => (value: string) => onChange({ ...form, [name]: value });
  return (
    <>
      <div class="fr-fieldset__element">
        <Field id={`${prefix}-ins`} name="ins" label="Son numéro de sécurité sociale" hint="15 chiffres, sur sa carte Vitale."
               value={form.ins} onInput={set('ins')} error={error} inputMode="numeric" autocomplete="off" required />
      </div>
      <div class="fr-fieldset__element">
        <Field id={`${prefix}-given`} name="given_name" label="Son prénom" value={form.given_name} onInput={set('given_name')}
               error={error} autocomplete="off" required />
      </div>
      <div class="fr-fieldset__element">
        <Field id={`${prefix}-family`} name="family_name" label="Son nom de famille" value={form.family_name}
               onInput={set('family_name')} error={error} autocomplete="off" required />
      </div>
      <div class="fr-fieldset__element">
        <Field id={`${prefix}-birth`} name="birth_date" type="date" label="Sa date de naissance" value={form.birth_date}
               onInput={set('birth_date')} error={error} required />
      </div>
    </>
  );
}

/** The carers of the space shown, and for a child's space the second legal representative. A carer sees instead
 * how to step down. */
export function CarersPage() {
  const { space } = usePortal();
  if (space.kind === 'helped') return <StepDown space={space} />;
  return (
    <>
      <PageTitle lead="Un aidant est un proche qui vous accompagne : il peut consulter et alimenter cet espace, jamais gérer le partage, le fermer ni l’exporter.">
        Aidants
      </PageTitle>
      <Carers />
      {space.kind === 'child' && <SecondRepresentative />}
    </>
  );
}

function Carers() {
  const { space } = usePortal();
  const list = usePaged<Carer>(
    (cursor) => must(apiClient().GET('/patients/{ins}/carers', {
      params: { path: { ins: space.ins }, query: { limit: 20, cursor: cursor ?? undefined } },
    })),
    [space.ins], (c) => c.ins,
  );
  const [form, setForm] = useState<IdentityForm>(BLANK_IDENTITY);
  const invite = useAction();
  const revoked = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void invite.run(async () => {
      const body = identityBody(form);
      const ticket = await must(apiClient().POST('/patients/{ins}/carers', { params: { path: { ins: space.ins } }, body }));
      setForm(BLANK_IDENTITY);
      revoked.setDone(null);
      list.reload();
      return `${body.given_name} ${body.family_name} est invité(e) : l’invitation vaut jusqu’au ${formatDate(ticket.expires_at)}.`;
    });
  };
  return (
    <>
      <section aria-labelledby="carers-title" class="fr-mb-6w">
        <h2 id="carers-title" class="fr-h4">Les aidants de cet espace</h2>
        <Success>{revoked.done}</Success>
        <PagedItems list={list} label="Aidants" empty="Aucun aidant pour le moment." loading="Chargement des aidants…"
                    more="Afficher plus d’aidants">
          {(c) => <CarerItem key={c.ins} carer={c} onRevoked={(message) => { revoked.setDone(message); invite.setDone(null); list.reload(); }} />}
        </PagedItems>
      </section>
      <form onSubmit={submit} noValidate class="fr-mb-6w">
        <fieldset class="fr-fieldset">
          <legend class="fr-fieldset__legend">
            Inviter un aidant
            <span class="fr-hint-text">
              Une personne majeure qui a activé son espace santé. Son identité doit être exacte : elle reçoit une
              invitation, à accepter dans les 14 jours. Trois aidants au plus.
            </span>
          </legend>
          <IdentityFields prefix="carer" form={form} onChange={setForm} error={invite.error} />
          <div class="fr-fieldset__element">
            <ErrorAlert error={invite.error} title="L’invitation n’a pas été envoyée" />
            <Success>{invite.done}</Success>
            <Submit busy={invite.busy}>Inviter cet aidant</Submit>
          </div>
        </fieldset>
      </form>
    </>
  );
}

function CarerItem({ carer: c, onRevoked }: { carer: Carer; onRevoked: (message: string) => void }) {
  const { space } = usePortal();
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const name = `${c.given_name} ${c.family_name}`;
  const pending = c.status === 'pending';
  const revoke = () => action.run(async () => {
    await must(apiClient().DELETE('/patients/{ins}/carers/{carer_ins}', { params: { path: { ins: space.ins, carer_ins: c.ins } } }));
    onRevoked(pending ? `L’invitation de ${name} est retirée.` : `${name} n’est plus aidant(e) de cet espace.`);
    return null;
  });
  return (
    <li>
      <p class="fr-mb-1v"><strong>{name}</strong></p>
      <p class="fr-text--sm ens-meta">
        {pending
          ? `Invité(e) le ${formatDate(c.invited_at)}, sans réponse${c.pending_until ? ` : l’invitation expire le ${formatDate(c.pending_until)}` : ''}`
          : `Aidant(e) depuis le ${formatDate(c.since ?? c.invited_at)}`}
      </p>
      <ErrorAlert error={action.error} />
      {confirming ? (
        <div role="group" aria-label={`Confirmer : ${pending ? 'retirer l’invitation de' : 'retirer l’accès de'} ${name}`}>
          <p class="fr-text--sm">
            {pending ? `Retirer l’invitation de ${name} ?` : `${name} n’aura plus accès à cet espace, dès maintenant. Confirmer ?`}
          </p>
          <ul class="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm">
            <li><button type="button" class="fr-btn" disabled={action.busy} onClick={() => void revoke()}>Confirmer</button></li>
            <li><button type="button" class="fr-btn fr-btn--secondary" onClick={() => setConfirming(false)}>Annuler</button></li>
          </ul>
        </div>
      ) : (
        <button type="button" class="fr-btn fr-btn--sm fr-btn--tertiary" onClick={() => setConfirming(true)}>
          {pending ? `Retirer l’invitation de ${name}` : `Retirer l’accès de ${name}`}
        </button>
      )}
    </li>
  );
}

function SecondRepresentative() {
  const { space } = usePortal();
  const [form, setForm] = useState<IdentityForm>(BLANK_IDENTITY);
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const body = identityBody(form);
      const ticket = await must(apiClient().POST('/patients/{ins}/representatives', { params: { path: { ins: space.ins } }, body }));
      setForm(BLANK_IDENTITY);
      return `${body.given_name} ${body.family_name} est invité(e) à gérer l’espace de ${space.name} : l’invitation vaut jusqu’au ${formatDate(ticket.expires_at)}.`;
    });
  };
  return (
    <section aria-labelledby="representative-title">
      <h2 id="representative-title" class="fr-h4">Second représentant légal</h2>
      <p>L’autre parent (ou tuteur) de {space.name} peut gérer cet espace avec vous, une fois votre invitation acceptée.</p>
      <form onSubmit={submit} noValidate>
        <fieldset class="fr-fieldset">
          <legend class="fr-fieldset__legend">Inviter un second représentant légal</legend>
          <IdentityFields prefix="representative" form={form} onChange={setForm} error={action.error} />
          <div class="fr-fieldset__element">
            <ErrorAlert error={action.error} title="L’invitation n’a pas été envoyée" />
            <Success>{action.done}</Success>
            <Submit busy={action.busy}>Inviter ce représentant légal</Submit>
          </div>
        </fieldset>
      </form>
    </section>
  );
}

/** In the space of a person one helps: stepping down (effective at once; the space leaves the switcher). */
function StepDown({ space }: { space: Space }) {
  const { me, refreshMe, chooseSpace } = usePortal();
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const stepDown = () => action.run(async () => {
    await must(apiClient().DELETE('/patients/{ins}/carers/{carer_ins}', { params: { path: { ins: space.ins, carer_ins: me.ins } } }));
    chooseSpace(me.ins);
    navigate('/', true);
    await refreshMe();
    return null;
  });
  return (
    <>
      <PageTitle lead={`Vous êtes l’aidant(e) de ${space.name} : vous pouvez consulter et alimenter son espace.`}>
        Mon rôle d’aidant
      </PageTitle>
      <p>
        Vous ne pouvez pas gérer le partage de cet espace, le fermer ni l’exporter : seuls {space.name} et ses
        représentants légaux le peuvent.
      </p>
      <ErrorAlert error={action.error} title="Vous êtes toujours aidant(e)" />
      {confirming ? (
        <div role="group" aria-label={`Confirmer : ne plus aider ${space.name}`}>
          <p><strong>Vous n’aurez plus accès à l’espace de {space.name}, dès maintenant. Confirmer ?</strong></p>
          <ul class="fr-btns-group fr-btns-group--inline-sm">
            <li><button type="button" class="fr-btn" disabled={action.busy} onClick={() => void stepDown()}>Confirmer</button></li>
            <li><button type="button" class="fr-btn fr-btn--secondary" onClick={() => setConfirming(false)}>Annuler</button></li>
          </ul>
        </div>
      ) : (
        <button type="button" class="fr-btn fr-btn--secondary" onClick={() => setConfirming(true)}>Ne plus être l’aidant(e) de {space.name}</button>
      )}
    </>
  );
}

/** The invitations the person received (to be a carer, or a child's second legal representative). */
export function InvitationsPage() {
  const list = usePaged<Invitation>(
    (cursor) => must(apiClient().GET('/me/invitations', { params: { query: { limit: 20, cursor: cursor ?? undefined } } })),
    [], (i) => i.invitation_id,
  );
  const [answered, setAnswered] = useState<Record<string, Invitation>>({});
  const [done, setDone] = useState<string | null>(null);
  const items = { ...list, items: list.items.map((i) => answered[i.invitation_id] ?? i) };
  return (
    <>
      <PageTitle lead="Une personne vous invite à devenir son aidant, ou le parent d’un enfant à gérer son espace avec lui. Une invitation sans réponse expire au bout de 14 jours.">
        Invitations reçues
      </PageTitle>
      <Success>{done}</Success>
      <PagedItems list={items} label="Invitations" empty="Vous n’avez reçu aucune invitation." loading="Chargement des invitations…"
                  more="Afficher plus d’invitations">
        {(i) => (
          <InvitationItem key={i.invitation_id} invitation={i} onAnswered={(next, message) => {
            setAnswered((before) => ({ ...before, [next.invitation_id]: next }));
            setDone(message);
          }} />
        )}
      </PagedItems>
    </>
  );
}

function InvitationItem({ invitation: i, onAnswered }: { invitation: Invitation; onAnswered: (next: Invitation, message: string) => void }) {
  const { refreshMe } = usePortal();
  const action = useAction();
  const name = `${i.patient.given_name} ${i.patient.family_name}`;
  const answer = (accept: boolean) => action.run(async () => {
    const path = { invitation_id: i.invitation_id };
    const next = accept
      ? await must(apiClient().POST('/me/invitations/{invitation_id}/accept', { params: { path } }))
      : await must(apiClient().POST('/me/invitations/{invitation_id}/refuse', { params: { path } }));
    if (accept) await refreshMe(); // the space joins the switcher
    onAnswered(next, accept
      ? `Vous avez accepté : l’espace de ${name} est dans la liste « Espace affiché ».`
      : `Vous avez refusé l’invitation concernant ${name}.`);
    return null;
  });
  return (
    <li>
      <p class="fr-mb-1v"><strong>{invitationSentence(i)}</strong></p>
      <p class="fr-text--sm ens-meta">
        Reçue le {formatDateTime(i.created_at)} · {invitationStatus(i.status)}
        {i.status === 'pending' ? ` · à accepter avant le ${formatDate(i.expires_at)}` : ''}
      </p>
      <ErrorAlert error={action.error} />
      {i.status === 'pending' && (
        <ul class="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm">
          <li><button type="button" class="fr-btn" disabled={action.busy} aria-label={`Accepter l’invitation de ${name}`} onClick={() => void answer(true)}>Accepter</button></li>
          <li><button type="button" class="fr-btn fr-btn--secondary" disabled={action.busy} aria-label={`Refuser l’invitation de ${name}`} onClick={() => void answer(false)}>Refuser</button></li>
        </ul>
      )}
    </li>
  );
}
