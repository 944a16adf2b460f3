/** Before sign-in: the sign-in page (development NIR locally, OIDC elsewhere), the activation and the new code. */

import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

import { apiClient, must } from '../api';
import { completeOidcSignIn, sessionFromToken, setSession, startOidcSignIn } from '../auth';
import { type PortalConfig, usesDevelopmentSignIn } from '../config';
import { useAction } from '../hooks';
import { navigate } from '../router';
import { ErrorAlert, Field, Link, Loading, PageTitle, Submit, Success } from '../ui';

function Centered({ children }: { children: ComponentChildren }) {
  return (
    <main id="contenu" class="fr-container fr-py-6w">
      <div class="fr-grid-row fr-grid-row--center">
        <div class="fr-col-12 fr-col-md-8 fr-col-lg-6">{children}</div>
      </div>
    </main>
  );
}

export function SignInPage({ config, flash }: { config: PortalConfig; flash: string | null }) {
  const [nir, setNir] = useState('');
  const action = useAction();
  const dev = usesDevelopmentSignIn(config);

  const signIn = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      if (!dev && config.oidc) {
        await startOidcSignIn(config.oidc);
        return;
      }
      const reply = await must(apiClient().POST('/dev/sign-in', { body: { nir: nir.replace(/\s+/g, '') } }));
      setSession(sessionFromToken(reply.token, reply.expires_in));
      navigate('/', true);
    });
  };

  return (
    <Centered>
      <PageTitle lead="Accédez à vos documents, à votre profil médical, à votre agenda et à votre messagerie de santé.">
        Connexion à Mon Espace Santé
      </PageTitle>
      {flash && <div class="fr-alert fr-alert--info fr-alert--sm fr-mb-3w" role="status"><p>{flash}</p></div>}
      <ErrorAlert error={action.error} title="Connexion impossible" />
      <form onSubmit={signIn} noValidate>
        {dev ? (
          <fieldset class="fr-fieldset">
            <legend class="fr-fieldset__legend">Connexion de développement (environnement local)</legend>
            <div class="fr-fieldset__element">
              <Field id="signin-nir" name="nir" label="Numéro de sécurité sociale"
                     hint="15 caractères, tels qu’ils figurent sur votre carte Vitale."
                     value={nir} onInput={setNir} error={action.error} required autocomplete="off" inputMode="text" />
            </div>
            <div class="fr-fieldset__element">
              <Submit busy={action.busy}>Se connecter</Submit>
            </div>
          </fieldset>
        ) : (
          <Submit busy={action.busy}>Se connecter avec mon compte</Submit>
        )}
      </form>
      <hr class="fr-mt-4w" />
      <h2 class="fr-h5">Première visite ?</h2>
      <p>Activez votre espace avec votre carte Vitale et le code provisoire reçu.</p>
      <Link to="/activation" class="fr-btn fr-btn--secondary">Activer mon espace</Link>
    </Centered>
  );
}

export function ActivationPage() {
  const [nir, setNir] = useState('');
  const [serial, setSerial] = useState('');
  const [code, setCode] = useState('');
  // One action for both buttons: the message shown is always the answer to the last thing the person did.
  const activation = useAction();
  const newCode = activation;
  const [activated, setActivated] = useState(false);
  const clean = (v: string) => v.replace(/\s+/g, '');

  const activate = (event: Event) => {
    event.preventDefault();
    void activation.run(async () => {
      await must(apiClient().POST('/activation', {
        body: { nir: clean(nir), vitale_serial: clean(serial), code: clean(code).toUpperCase() },
      }));
      setActivated(true);
      return 'Votre espace est activé. Vous pouvez maintenant vous connecter.';
    });
  };
  const askCode = () => {
    void newCode.run(async () => {
      await must(apiClient().POST('/activation-codes', { body: { nir: clean(nir), vitale_serial: clean(serial) } }));
      return 'Un nouveau code vous a été envoyé (courriel, SMS ou courrier). L’ancien code ne fonctionne plus.';
    });
  };

  return (
    <Centered>
      <PageTitle lead="Munissez-vous de votre carte Vitale et du code provisoire reçu par courriel, SMS ou courrier.">
        Activer mon espace
      </PageTitle>
      <ErrorAlert error={activation.error} title="Activation impossible" />
      <Success>{activation.done}</Success>
      {activated ? (
        <Link to="/connexion" class="fr-btn">Aller à la connexion</Link>
      ) : (
        <form onSubmit={activate} noValidate>
          <fieldset class="fr-fieldset">
            <legend class="fr-fieldset__legend">Vos informations</legend>
            <div class="fr-fieldset__element">
              <Field id="activation-nir" name="nir" label="Numéro de sécurité sociale"
                     hint="15 caractères, tels qu’ils figurent sur votre carte Vitale." value={nir} onInput={setNir}
                     error={activation.error} required autocomplete="off" />
            </div>
            <div class="fr-fieldset__element">
              <Field id="activation-serial" name="vitale_serial" label="Numéro de série de la carte Vitale"
                     hint="De 8 à 13 chiffres, au dos de la carte." value={serial} onInput={setSerial}
                     error={activation.error} required inputMode="numeric" autocomplete="off" />
            </div>
            <div class="fr-fieldset__element">
              <Field id="activation-code" name="code" label="Code provisoire"
                     hint="12 lettres et chiffres, reçus avec votre avis d’ouverture." value={code} onInput={setCode}
                     error={activation.error} required autocomplete="one-time-code" />
            </div>
            <div class="fr-fieldset__element">
              <ul class="fr-btns-group fr-btns-group--inline-md">
                <li><Submit busy={activation.busy}>Activer mon espace</Submit></li>
                <li>
                  <button type="button" class="fr-btn fr-btn--secondary" disabled={newCode.busy} onClick={askCode}>
                    Recevoir un nouveau code
                  </button>
                </li>
              </ul>
            </div>
          </fieldset>
        </form>
      )}
      <p class="fr-mt-2w"><Link to="/connexion" class="fr-link">Déjà activé ? Se connecter</Link></p>
    </Centered>
  );
}

export function OidcCallbackPage({ config }: { config: PortalConfig }) {
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!config.oidc) return;
    completeOidcSignIn(config.oidc).then(() => navigate('/', true), setError);
  }, []);
  return (
    <Centered>
      <PageTitle>Connexion en cours</PageTitle>
      {error ? <ErrorAlert error={error} title="La connexion n’a pas abouti" /> : <Loading what="Retour du service de connexion…" />}
      {error ? <Link to="/connexion" class="fr-btn">Réessayer</Link> : null}
    </Centered>
  );
}
