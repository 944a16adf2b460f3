/** The home page of a space: what is there, and where to go. */

import { usePortal } from '../context';
import { navigation } from '../spaces';
import { Link, PageTitle } from '../ui';

const DESCRIPTIONS: Record<string, string> = {
  '/documents': 'Consulter, ajouter, masquer ou supprimer des documents.',
  '/historique': 'Voir qui a consulté ou alimenté cet espace.',
  '/partage': 'Autoriser ou bloquer des professionnels, médecin traitant, urgence.',
  '/aidants': 'Les proches qui vous aident ; inviter un aidant ou retirer son accès.',
  '/messages': 'Lire les messages des professionnels et y répondre.',
  '/profil': 'Allergies, traitements, antécédents ; synthèse PDF.',
  '/vaccinations': 'Le carnet de vaccination.',
  '/mesures': 'Poids, taille, tension, glycémie…',
  '/agenda': 'Les rendez-vous de santé.',
  '/prevention': 'Vaccinations et dépistages recommandés.',
  '/applications': 'Les applications de santé et vos accords.',
  '/invitations': 'Accepter ou refuser de devenir aidant, ou de gérer l’espace d’un enfant.',
  '/notifications': 'Ce qui vous a été envoyé, pour vous et les espaces que vous gérez.',
  '/compte': 'Votre identité, vos préférences de notification ; fermer votre espace.',
};

export function HomePage() {
  const { space, me } = usePortal();
  const sections = navigation(space).filter((i) => i.path !== '/');
  return (
    <>
      <PageTitle lead={space.kind === 'self' ? `Bonjour ${me.given_name}.` : `Vous consultez l’espace de ${space.name}.`}>
        {space.kind === 'self' ? 'Mon espace santé' : `Espace de ${space.name}`}
      </PageTitle>
      <div class="fr-grid-row fr-grid-row--gutters">
        {sections.map((s) => (
          <div class="fr-col-12 fr-col-sm-6 fr-col-lg-4" key={s.path}>
            <div class="fr-tile fr-enlarge-link">
              <div class="fr-tile__body">
                <div class="fr-tile__content">
                  <h2 class="fr-tile__title"><Link to={s.path}>{s.label}</Link></h2>
                  <p class="fr-tile__desc">{space.kind === 'helped' && s.path === '/aidants' ? 'Ce que vous pouvez faire comme aidant ; y mettre fin.' : DESCRIPTIONS[s.path] ?? ''}</p>
                </div>
              </div>
            </div>
          </div>
        ))}
      </div>
    </>
  );
}
