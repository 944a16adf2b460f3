/** The API's errors as the portal shows them: the API's own sentence, and each field at fault when it names them. */

export interface FieldProblem {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldProblem[] = [],
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

const FALLBACK: Record<number, string> = {
  0: "Le service ne répond pas : vérifiez votre connexion puis réessayez.",
  401: 'Votre session a expiré : reconnectez-vous.',
  403: "Vous n'avez pas accès à cette action.",
  404: "Cet élément n'existe pas ou ne vous est pas accessible.",
  429: 'Trop de tentatives : patientez quelques instants puis réessayez.',
  500: 'Une erreur est survenue de notre côté ; rien n’a été perdu, réessayez.',
};

function fieldsOf(body: Record<string, unknown>): FieldProblem[] {
  const raw = body.errors ?? body.fields;
  if (Array.isArray(raw)) {
    return raw
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => ({ field: String(e.field ?? e.name ?? e.loc ?? ''), message: String(e.message ?? e.msg ?? '') }))
      .filter((e) => e.field && e.message);
  }
  if (typeof raw === 'object' && raw !== null) {
    return Object.entries(raw as Record<string, unknown>).map(([field, message]) => ({ field, message: String(message) }));
  }
  return [];
}

/** An HTTP answer that is not a success, as an ApiError carrying the API's sentence. */
export function toApiError(status: number, body: unknown, retryAfter: string | null = null): ApiError {
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : null;
  if (typeof body === 'object' && body !== null) {
    const b = body as Record<string, unknown>;
    if (typeof b.message === 'string' && b.message) {
      return new ApiError(status, typeof b.code === 'string' ? b.code : 'error', b.message, fieldsOf(b), seconds);
    }
    // FHIR-style OperationOutcome, should a page ever call /fhir
    const issue = Array.isArray(b.issue) ? (b.issue[0] as Record<string, unknown> | undefined) : undefined;
    if (issue && typeof issue.diagnostics === 'string') return new ApiError(status, 'error', issue.diagnostics, [], seconds);
  }
  const generic = FALLBACK[status] ?? (status >= 500 ? FALLBACK[500] : 'La demande a été refusée.');
  return new ApiError(status, status === 0 ? 'network' : 'error', generic, [], seconds);
}

/** The problem of one form field, when the API named it. */
export function fieldError(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  return error.fields.find((f) => f.field === field || f.field.endsWith(`.${field}`))?.message;
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return error.message;
  return FALLBACK[500];
}
