/** Dates, sizes and labels in French. */

const DATE = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Paris' });
const DATE_TIME = new Intl.DateTimeFormat('fr-FR', {
  day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Paris',
});

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  return Number.isNaN(date.getTime()) ? iso : DATE.format(date);
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : DATE_TIME.format(date);
}

export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} octets`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toLocaleString('fr-FR', { maximumFractionDigits: 0 })} ko`;
  return `${(bytes / 1_000_000).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Mo`;
}

/** A datetime-local value (the person's time, Europe/Paris in practice) as ISO-8601 UTC for the API. */
export function localToIso(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toISOString().replace('.000Z', 'Z');
}

const ROLES: Record<string, string> = {
  professional: 'Professionnel de santé',
  establishment: 'Établissement',
  app: 'Application',
  agent: 'Assurance maladie',
  patient: 'Patient',
  carer: 'Aidant',
};

const PROFESSIONS: Record<string, string> = {
  medecin: 'médecin',
  pharmacien: 'pharmacien',
  infirmier: 'infirmier',
  'chirurgien-dentiste': 'chirurgien-dentiste',
  'sage-femme': 'sage-femme',
  'masseur-kinesitherapeute': 'masseur-kinésithérapeute',
};

export function roleLabel(role: string): string {
  return ROLES[role] ?? role;
}

export function professionLabel(profession: string | null | undefined): string {
  return profession ? (PROFESSIONS[profession] ?? profession) : '';
}

export const MODES: Record<string, string> = { normal: 'Accès habituel', emergency: 'Accès en urgence', app: 'Application' };

/** Measurements the API accepts (chalicelib/domain/measurements.py): LOINC code, French label, canonical unit. */
export const MEASUREMENTS: { code: string; label: string; unit: string }[] = [
  { code: '29463-7', label: 'Poids', unit: 'kg' },
  { code: '8302-2', label: 'Taille', unit: 'cm' },
  { code: '8480-6', label: 'Pression artérielle systolique', unit: 'mm[Hg]' },
  { code: '8462-4', label: 'Pression artérielle diastolique', unit: 'mm[Hg]' },
  { code: '2339-0', label: 'Glycémie', unit: 'mg/dL' },
  { code: '39156-5', label: 'Indice de masse corporelle (IMC)', unit: 'kg/m2' },
  { code: '8310-5', label: 'Température corporelle', unit: 'Cel' },
  { code: '8867-4', label: 'Fréquence cardiaque', unit: '/min' },
];

const UNITS: Record<string, string> = { 'mm[Hg]': 'mmHg', 'kg/m2': 'kg/m²', Cel: '°C', '/min': 'battements/min' };

export function unitLabel(unit: string): string {
  return UNITS[unit] ?? unit;
}

/** The kinds of notices (chalicelib/domain/notices.py), as the person reads them. */
const NOTICE_KINDS: Record<string, string> = {
  enrolment_notice: 'Création de votre espace (avis et code provisoire)',
  activation_code: 'Nouveau code provisoire',
  space_created: 'Espace créé',
  document_added: 'Nouveau document',
  emergency_access: 'Accès en urgence',
  new_message: 'Nouveau message',
  reminder: 'Rappel de prévention',
  appointment_reminder: 'Rappel de rendez-vous',
  export_ready: 'Export de vos données prêt',
  carer_invitation: 'Invitation à devenir aidant',
  representative_invitation: 'Invitation à gérer l’espace d’un enfant',
  carer_revoked: 'Fin de votre rôle d’aidant',
  space_of_age: 'Majorité : votre espace vous revient',
};

export function noticeKindLabel(kind: string): string {
  return NOTICE_KINDS[kind] ?? kind.replace(/_/g, ' ');
}

/** An ISO-8601 instant as the value of a datetime-local field, in the person's time (the reverse of localToIso). */
export function isoToLocal(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:${two(date.getMinutes())}`;
}
