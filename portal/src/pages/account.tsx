/** The person's account: identity, notification preferences (CONTRACT §10), and closing the space (§4). */

import { useState } from 'preact/hooks';

import { apiClient, must } from '../api';
import { usePortal } from '../context';
import { formatDate } from '../format';
import { useAction } from '../hooks';
import { Checkbox, ErrorAlert, Link, PageTitle } from '../ui';
import { NotificationPreferences } from './notifications';

export function AccountPage() {
  const { me, signOut } = usePortal();
  const [deletion, setDeletion] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const close = () => action.run(async () => {
    await must(apiClient().POST('/me/closure', { body: { delete_requested: deletion } }));
    signOut(deletion
      ? 'Votre espace est fermé. Vos données seront supprimées dans 3 mois ; d’ici là, vous pouvez le rouvrir.'
      : 'Votre espace est fermé. Vos données restent archivées 10 ans ; vous pouvez le rouvrir à tout moment.');
    return null;
  });
  return (
    <>
      <PageTitle>Mon compte</PageTitle>
      <section aria-labelledby="identity-title" class="fr-mb-6w">
        <h2 id="identity-title" class="fr-h4">Mon identité</h2>
        <p>{me.given_name} {me.family_name}, né(e) le {formatDate(me.birth_date)}</p>
        <p>Numéro de sécurité sociale : <span class="ens-wrap">{me.ins}</span></p>
      </section>
      <NotificationPreferences />
      <p class="fr-mb-6w"><Link to="/notifications" class="fr-link">Voir les notifications reçues</Link></p>
      <section aria-labelledby="closure-title">
        <h2 id="closure-title" class="fr-h4">Fermer mon espace</h2>
        <p>
          Plus aucun professionnel ne pourra consulter ou alimenter votre espace. Vos données sont archivées 10 ans,
          ou 3 mois si vous demandez leur suppression, puis effacées.
        </p>
        <ErrorAlert error={action.error} title="L’espace n’a pas été fermé" />
        <Checkbox id="closure-delete" label="Je demande la suppression de mes données" hint="Elles seront effacées dans 3 mois."
                  checked={deletion} onChange={setDeletion} />
        {confirming ? (
          <div role="group" aria-label="Confirmer la fermeture">
            <p><strong>Confirmez-vous la fermeture de votre espace ?</strong></p>
            <ul class="fr-btns-group fr-btns-group--inline-sm">
              <li><button type="button" class="fr-btn" disabled={action.busy} onClick={() => void close()}>Confirmer la fermeture</button></li>
              <li><button type="button" class="fr-btn fr-btn--secondary" onClick={() => setConfirming(false)}>Annuler</button></li>
            </ul>
          </div>
        ) : (
          <button type="button" class="fr-btn fr-btn--secondary" onClick={() => setConfirming(true)}>Fermer mon espace</button>
        )}
      </section>
    </>
  );
}
