/** The spaces a person may open in the portal: their own, the children's they manage (legal representative) and
 * the people they help as a carer (CONTRACT §10, `helped` in GET /me). What each may do there. */

export type SpaceKind = 'self' | 'child' | 'helped';

export interface PersonSummary {
  ins: string;
  given_name?: string;
  family_name?: string;
  birth_date?: string;
  status?: string;
}

export interface MeLike extends PersonSummary {
  dependants?: PersonSummary[];
  /** §10: the people this person helps as a carer. */
  helped?: PersonSummary[];
}

export interface Space {
  ins: string;
  kind: SpaceKind;
  name: string;
  /** The switcher's label: "Mon espace", "Espace de Léa (enfant)". */
  label: string;
  status: string;
  /** Manage sharing: professionals, attending doctor, emergency settings, app consents (never a carer, §10). */
  canManageSharing: boolean;
  /** Close the space (the person's own space only: POST /me/closure). */
  canClose: boolean;
  /** Export the space (§10: the patient or a legal representative, never a carer). */
  canExport: boolean;
}

function fullName(p: PersonSummary): string {
  return [p.given_name, p.family_name].filter(Boolean).join(' ') || 'Personne sans nom';
}

export function spacesOf(me: MeLike): Space[] {
  const own: Space = {
    ins: me.ins, kind: 'self', name: fullName(me), label: 'Mon espace', status: me.status ?? 'active',
    canManageSharing: true, canClose: true, canExport: true,
  };
  const children = (me.dependants ?? []).map<Space>((d) => ({
    ins: d.ins, kind: 'child', name: fullName(d), label: `Espace de ${d.given_name || fullName(d)} (enfant)`,
    status: d.status ?? 'active', canManageSharing: true, canClose: false, canExport: true,
  }));
  const helped = (me.helped ?? []).map<Space>((h) => ({
    ins: h.ins, kind: 'helped', name: fullName(h), label: `Espace de ${fullName(h)} (personne aidée)`,
    status: h.status ?? 'active', canManageSharing: false, canClose: false, canExport: false,
  }));
  const seen = new Set<string>();
  return [own, ...children, ...helped].filter((s) => (seen.has(s.ins) ? false : (seen.add(s.ins), true)));
}

/** The space to show after the list changed: the one chosen before if still there, else the person's own. */
export function pickSpace(spaces: Space[], wanted: string | null): Space {
  return spaces.find((s) => s.ins === wanted) ?? spaces[0];
}

export interface NavItem {
  path: string;
  label: string;
}

/** The navigation of a space; sections a space's viewer may not use are left out. */
export function navigation(space: Space): NavItem[] {
  const items: (NavItem & { when?: boolean })[] = [
    { path: '/', label: 'Accueil' },
    { path: '/documents', label: 'Documents' },
    { path: '/historique', label: 'Historique des accès' },
    { path: '/partage', label: 'Partage et professionnels', when: space.canManageSharing },
    // Managing carers is sharing (§10); in the space of a person one helps, the same page is how to step down.
    { path: '/aidants', label: space.kind === 'helped' ? 'Mon rôle d’aidant' : 'Aidants' },
    { path: '/messages', label: 'Messagerie' },
    { path: '/profil', label: 'Profil médical' },
    { path: '/vaccinations', label: 'Vaccinations' },
    { path: '/mesures', label: 'Mesures' },
    { path: '/agenda', label: 'Agenda' },
    { path: '/prevention', label: 'Prévention' },
    { path: '/applications', label: 'Applications', when: space.canManageSharing },
    { path: '/export', label: 'Export des données', when: space.canExport },
    { path: '/invitations', label: 'Invitations reçues', when: space.kind === 'self' },
    { path: '/notifications', label: 'Notifications', when: space.kind === 'self' },
    { path: '/compte', label: 'Mon compte', when: space.kind === 'self' },
  ];
  return items.filter((i) => i.when !== false).map(({ path, label }) => ({ path, label }));
}

/** Whether a path of the portal is a section (or a page inside one) of this space. */
export function offers(space: Space, path: string): boolean {
  return navigation(space).some((i) => i.path === path || (i.path !== '/' && path.startsWith(`${i.path}/`)));
}

/** Where to stay after switching to `space`: the same section when it has it, else its home page. */
export function sectionAfterSwitch(space: Space, path: string): string {
  return offers(space, path) ? path : '/';
}
