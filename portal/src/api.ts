/** The API client, generated from the API's OpenAPI document (`src/api/schema.d.ts`, `make portal-client`): every
 * path, parameter and body below is checked against it at build time, so the portal cannot drift from the API. */

import createClient, { type Middleware } from 'openapi-fetch';

import type { components, paths } from './api/schema';
import { session, setSession } from './auth';
import { ApiError, toApiError } from './errors';

export type Schemas = components['schemas'];
export type Client = ReturnType<typeof createClient<paths>>;

let client: Client | null = null;

export function apiClient(): Client {
  if (!client) throw new Error('API client used before configuration');
  return client;
}

const bearer: Middleware = {
  onRequest({ request }) {
    const current = session();
    if (current && !request.headers.has('Authorization')) {
      request.headers.set('Authorization', `Bearer ${current.token}`);
    }
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401 && session()) setSession(null); // expired or revoked: sign in again
    return response;
  },
};

export function configureApi(baseUrl: string, fetcher?: typeof fetch): Client {
  client = createClient<paths>({ baseUrl, fetch: fetcher });
  client.use(bearer);
  return client;
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful answer, or an ApiError with the API's sentence. */
export async function must<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw toApiError(0, null);
  }
  if (!answer.response.ok) {
    throw toApiError(answer.response.status, answer.error, answer.response.headers.get('Retry-After'));
  }
  return answer.data as T;
}

/** Sends a file's bytes to the presigned upload URL the API gave (bytes never go through the API). */
export async function uploadBytes(url: string, headers: Record<string, string>, file: Blob): Promise<void> {
  let answer: Response;
  try {
    answer = await fetch(url, { method: 'PUT', headers, body: file });
  } catch {
    throw toApiError(0, null);
  }
  if (!answer.ok) {
    throw new ApiError(answer.status, 'upload_failed',
      "Le fichier n'a pas pu être envoyé : réessayez, ou vérifiez qu'il ne dépasse pas 5 Mo.");
  }
}

/** Saves a Blob as a file the person downloads (PDF summary, agenda). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Starts the download of a presigned URL (the API's short-lived link to a document). */
export function followDownload(url: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.rel = 'noopener';
  document.body.appendChild(link);
  link.click();
  link.remove();
}
