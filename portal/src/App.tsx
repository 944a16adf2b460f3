import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';

import { apiClient, must, type Schemas } from './api';
import { onSessionChange, oidcSignOut, session, type Session, setSession } from './auth';
import { type PortalConfig } from './config';
import { Portal, type PortalState } from './context';
import { messageOf } from './errors';
import { AccessLogPage } from './pages/accesslog';
import { AccountPage } from './pages/account';
import { AgendaPage, PreventionPage } from './pages/agenda';
import { AppsPage } from './pages/apps';
import { DocumentsPage } from './pages/documents';
import { ExportPage } from './pages/export';
import { CarersPage, InvitationsPage } from './pages/family';
import { MeasurementsPage, ProfilePage, VaccinationsPage } from './pages/health';
import { HomePage } from './pages/home';
import { ConversationPage, MessagesPage } from './pages/messages';
import { NotificationsPage } from './pages/notifications';
import { ActivationPage, OidcCallbackPage, SignInPage } from './pages/public';
import { SharingPage } from './pages/sharing';
import { currentPath, match, navigate, usePath } from './router';
import { navigation, offers, pickSpace, sectionAfterSwitch, type Space, spacesOf } from './spaces';
import { ErrorAlert, Link, Loading } from './ui';

const PUBLIC_PATHS = ['/connexion', '/activation', '/connexion/retour'];

export function App({ config }: { config: PortalConfig }) {
  const path = usePath();
  const [current, setCurrent] = useState<Session | null>(session());
  const [flash, setFlash] = useState<string | null>(null);
  useEffect(() => onSessionChange(setCurrent), []);
  // Signed in on a page of the signed-out portal: go home (an effect, never a navigation during a render).
  const stray = current !== null && PUBLIC_PATHS.includes(path) && path !== '/activation';
  useEffect(() => {
    const now = currentPath(); // effects run late: decide on where the person is now, not at that render
    if (stray && session() && PUBLIC_PATHS.includes(now) && now !== '/activation') navigate('/', true);
  }, [stray]);

  if (!current) {
    let page: ComponentChildren;
    if (path === '/activation') page = <ActivationPage />;
    else if (path === '/connexion/retour' && config.oidc) page = <OidcCallbackPage config={config} />;
    else page = <SignInPage config={config} flash={flash} />;
    return <Frame>{page}</Frame>;
  }
  return (
    <SignedIn config={config} onSignOut={(message) => {
      setFlash(message ?? null);
      if (config.oidc) void oidcSignOut(config.oidc);
      else setSession(null);
      navigate('/connexion', true);
    }} />
  );
}

/** The DSFR page frame: skip links, header, content, footer. */
function Frame({ children, bar, menu }: { children: ComponentChildren; bar?: ComponentChildren; menu?: boolean }) {
  return (
    <>
      <div class="fr-skiplinks">
        <nav class="fr-container" aria-label="Accès rapide">
          <ul class="fr-skiplinks__list">
            <li><a class="fr-link" href="#contenu">Contenu</a></li>
            {menu && <li><a class="fr-link" href="#menu">Menu</a></li>}
          </ul>
        </nav>
      </div>
      <header role="banner" class="fr-header">
        <div class="fr-header__body">
          <div class="fr-container">
            <div class="fr-header__body-row">
              <div class="fr-header__brand fr-enlarge-link">
                <div class="fr-header__brand-top">
                  <div class="fr-header__logo">
                    <p class="fr-logo">République<br />Française</p>
                  </div>
                </div>
                <div class="fr-header__service">
                  <Link to="/"><p class="fr-header__service-title">Mon Espace Santé</p></Link>
                  <p class="fr-header__service-tagline">Mon carnet de santé numérique</p>
                </div>
              </div>
            </div>
          </div>
        </div>
      </header>
      {bar}
      {children}
      <footer class="fr-footer" role="contentinfo">
        <div class="fr-container">
          <div class="fr-footer__body">
            <div class="fr-footer__brand">
              <p class="fr-logo">République<br />Française</p>
            </div>
            <div class="fr-footer__content">
              <p class="fr-footer__content-desc">
                Mon Espace Santé : vos documents, votre profil médical, votre agenda et votre messagerie de santé.
                Vos données restent hébergées en France.
              </p>
            </div>
          </div>
          <div class="fr-footer__bottom">
            <ul class="fr-footer__bottom-list">
              <li class="fr-footer__bottom-item"><span class="fr-footer__bottom-link">Accessibilité : partiellement conforme</span></li>
            </ul>
          </div>
        </div>
      </footer>
    </>
  );
}

function SignedIn({ config, onSignOut }: { config: PortalConfig; onSignOut: (message?: string) => void }) {
  const [me, setMe] = useState<Schemas['Me'] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [chosen, setChosen] = useState<string | null>(null);

  const loadMe = async () => {
    try {
      setMe(await must(apiClient().GET('/me')));
    } catch (problem) {
      setError(problem);
    }
  };
  useEffect(() => void loadMe(), []);

  const spaces = useMemo(() => (me ? spacesOf(me) : []), [me]);
  if (error) {
    return (
      <Frame>
        <main id="contenu" class="fr-container fr-py-6w">
          <h1>Connexion impossible</h1>
          <ErrorAlert error={error} title="Votre espace n’est pas accessible" />
          <p>Si vous n’avez pas encore activé votre espace, <Link to="/activation">activez-le</Link> avec le code reçu.</p>
          <button type="button" class="fr-btn fr-btn--secondary" onClick={() => onSignOut(messageOf(error))}>
            Revenir à la connexion
          </button>
        </main>
      </Frame>
    );
  }
  if (!me) {
    return <Frame><main id="contenu" class="fr-container fr-py-6w"><Loading what="Ouverture de votre espace…" /></main></Frame>;
  }
  const space = pickSpace(spaces, chosen);
  // Switching keeps the section when the new space has it (a carer's has no sharing), else opens its home page.
  const choose = (ins: string) => {
    const next = pickSpace(spaces, ins);
    const now = currentPath();
    if (sectionAfterSwitch(next, now) !== now) navigate('/', true);
    setChosen(ins);
  };
  const state: PortalState = {
    config, me, spaces, space,
    chooseSpace: choose,
    refreshMe: loadMe,
    signOut: onSignOut,
  };
  return (
    <Portal.Provider value={state}>
      <Frame menu bar={<SpaceBar spaces={spaces} space={space} onChoose={choose} onSignOut={() => onSignOut()} />}>
        <div class="fr-container fr-py-4w">
          <div class="fr-grid-row fr-grid-row--gutters">
            <div class="fr-col-12 fr-col-md-3 ens-sidebar">
              <Menu space={space} />
            </div>
            <main id="contenu" class="fr-col-12 fr-col-md-9" key={space.ins}>
              <Routed space={space} />
            </main>
          </div>
        </div>
      </Frame>
    </Portal.Provider>
  );
}

function SpaceBar({ spaces, space, onChoose, onSignOut }: {
  spaces: Space[]; space: Space; onChoose: (ins: string) => void; onSignOut: () => void;
}) {
  return (
    <div class="ens-space-bar">
      <div class="fr-container">
        <div class="fr-grid-row fr-grid-row--gutters fr-grid-row--middle">
          <div class="fr-col-12 fr-col-md-6">
            {spaces.length > 1 ? (
              <div class="fr-select-group">
                <label class="fr-label" for="space-switcher">Espace affiché</label>
                <select id="space-switcher" class="fr-select" value={space.ins}
                        onChange={(e) => onChoose((e.currentTarget as HTMLSelectElement).value)}>
                  {spaces.map((s) => <option key={s.ins} value={s.ins}>{s.label} – {s.name}</option>)}
                </select>
              </div>
            ) : (
              <p class="fr-mb-0"><strong>{space.name}</strong> – {space.label}</p>
            )}
          </div>
          <div class="fr-col-12 fr-col-md-6">
            <ul class="fr-btns-group fr-btns-group--inline fr-btns-group--right fr-btns-group--sm">
              <li><button type="button" class="fr-btn fr-btn--tertiary" onClick={onSignOut}>Se déconnecter</button></li>
            </ul>
          </div>
        </div>
      </div>
    </div>
  );
}

function Menu({ space }: { space: Space }) {
  const path = usePath();
  const items = navigation(space);
  const active = (p: string) => (p === '/' ? path === '/' : path === p || path.startsWith(`${p}/`));
  return (
    <nav class="fr-sidemenu" id="menu" aria-label={`Rubriques de ${space.label.toLowerCase()}`}>
      <div class="fr-sidemenu__inner">
        <p class="fr-sidemenu__title">{space.name}</p>
        <ul class="fr-sidemenu__list">
          {items.map((item) => (
            <li key={item.path} class={`fr-sidemenu__item${active(item.path) ? ' fr-sidemenu__item--active' : ''}`}>
              <a class="fr-sidemenu__link" href={item.path} aria-current={active(item.path) ? 'page' : undefined}
                 onClick={(e) => { e.preventDefault(); navigate(item.path); }}>
                {item.label}
              </a>
            </li>
          ))}
        </ul>
      </div>
    </nav>
  );
}

function Routed({ space }: { space: Space }) {
  const path = usePath();
  const allowed = offers(space, path);
  const conversation = match('/messages/:id', path);
  if (conversation) return <ConversationPage id={conversation.id} />;
  if (!allowed) return <NotFound />;
  switch (path) {
    case '/': return <HomePage />;
    case '/documents': return <DocumentsPage />;
    case '/historique': return <AccessLogPage />;
    case '/partage': return <SharingPage />;
    case '/messages': return <MessagesPage />;
    case '/profil': return <ProfilePage />;
    case '/vaccinations': return <VaccinationsPage />;
    case '/mesures': return <MeasurementsPage />;
    case '/agenda': return <AgendaPage />;
    case '/prevention': return <PreventionPage />;
    case '/applications': return <AppsPage />;
    case '/export': return <ExportPage />;
    case '/aidants': return <CarersPage />;
    case '/invitations': return <InvitationsPage />;
    case '/notifications': return <NotificationsPage />;
    case '/compte': return <AccountPage />;
    default: return <NotFound />;
  }
}

function NotFound() {
  return (
    <>
      <h1>Page introuvable</h1>
      <p>Cette page n’existe pas, ou n’est pas disponible pour l’espace affiché.</p>
      <Link to="/" class="fr-link">Revenir à l’accueil</Link>
    </>
  );
}
