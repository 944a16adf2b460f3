import { describe, expect, it } from 'vitest';

import { parseConfig, usesDevelopmentSignIn } from './config';
import { ApiError, fieldError, messageOf, toApiError } from './errors';
import { formatSize, localToIso, unitLabel } from './format';
import { addPage, EMPTY } from './paging';
import { contentTypeOf } from './pages/documents';
import { entriesFromLines } from './pages/health';
import { navigation, pickSpace, spacesOf } from './spaces';
import { sessionFromToken } from './auth';

describe('runtime configuration', () => {
  it('reads the API URL, the stage and no OIDC in the local stage', () => {
    const config = parseConfig({ api_url: 'http://127.0.0.1:8000/', stage: 'local', oidc: null });
    expect(config.api_url).toBe('http://127.0.0.1:8000');
    expect(usesDevelopmentSignIn(config)).toBe(true);
  });

  it('signs in through OIDC in any other stage, and refuses a stage without it', () => {
    const oidc = { authority: 'https://connexion.example/realms/patients', client_id: 'portal', redirect_uri: 'https://portal.example/connexion/retour' };
    const config = parseConfig({ api_url: 'https://api.example/v1', stage: 'prod', oidc });
    expect(usesDevelopmentSignIn(config)).toBe(false);
    expect(config.oidc?.scope).toBe('openid');
    expect(() => parseConfig({ api_url: 'https://api.example/v1', stage: 'prod', oidc: null })).toThrow(/oidc/);
  });

  it('says in French what is missing', () => {
    expect(() => parseConfig({ stage: 'local' })).toThrow(/api_url/);
    expect(() => parseConfig({ api_url: 'https://a.example', stage: 'prod', oidc: { authority: 'http://insecure.example', client_id: 'c', redirect_uri: 'https://p' } })).toThrow(/https/);
  });
});

describe('errors', () => {
  it('keeps the API’s own sentence and code', () => {
    const error = toApiError(422, { code: 'invalid_nir', message: "The field 'nir' is not valid." });
    expect(error.message).toBe("The field 'nir' is not valid.");
    expect(error.code).toBe('invalid_nir');
  });

  it('keeps every field the API names, in either shape', () => {
    const listed = toApiError(422, { code: 'x', message: 'Two fields.', errors: [{ field: 'title', message: 'required' }, { field: 'size', message: 'too big' }] });
    expect(fieldError(listed, 'size')).toBe('too big');
    const mapped = toApiError(422, { code: 'x', message: 'One field.', errors: { 'body.title': 'required' } });
    expect(fieldError(mapped, 'title')).toBe('required');
    expect(fieldError(mapped, 'size')).toBeUndefined();
  });

  it('has a French sentence when the answer is not the API’s (network down, gateway)', () => {
    expect(toApiError(0, null).message).toMatch(/ne répond pas/);
    expect(toApiError(502, '<html>').message).toMatch(/rien n’a été perdu/);
  });

  it('reads Retry-After', () => {
    expect(toApiError(429, { code: 'too_many_attempts', message: 'Wait.' }, '30').retryAfter).toBe(30);
    expect(messageOf(new ApiError(429, 'x', 'Wait.'))).toBe('Wait.');
  });
});

describe('spaces', () => {
  const me = {
    ins: '280057512345608', given_name: 'Camille', family_name: 'Martin', status: 'active',
    dependants: [{ ins: '116037512345623', given_name: 'Léo', family_name: 'Martin', status: 'open' }],
  };

  it('lists the person’s own space first, then the children’s', () => {
    const spaces = spacesOf(me);
    expect(spaces.map((s) => [s.kind, s.label])).toEqual([['self', 'Mon espace'], ['child', 'Espace de Léo (enfant)']]);
  });

  it('adds the people one helps once the API lists them, without sharing controls (CONTRACT §10)', () => {
    const spaces = spacesOf({ ...me, helped: [{ ins: '140017512345678', given_name: 'Jeanne', family_name: 'Durand' }] });
    const helped = spaces[2];
    expect(helped.kind).toBe('helped');
    const paths = navigation(helped).map((i) => i.path);
    expect(paths).toContain('/documents');
    expect(paths).not.toContain('/partage');
    expect(paths).not.toContain('/applications');
    expect(paths).not.toContain('/compte');
  });

  it('closing is for the person’s own space only', () => {
    const [own, child] = spacesOf(me);
    expect(navigation(own).map((i) => i.path)).toContain('/compte');
    expect(navigation(child).map((i) => i.path)).not.toContain('/compte');
  });

  it('keeps the chosen space while it exists, else falls back to the person’s own', () => {
    const spaces = spacesOf(me);
    expect(pickSpace(spaces, '116037512345623').kind).toBe('child');
    expect(pickSpace(spaces, 'gone').kind).toBe('self');
  });
});

describe('paging', () => {
  it('appends the next page and remembers the next cursor', () => {
    const first = addPage(EMPTY, { items: [1, 2], next_cursor: 'c1' }, null);
    expect(first).toEqual({ items: [1, 2], cursor: 'c1', loaded: true });
    const second = addPage(first, { items: [3], next_cursor: null }, 'c1');
    expect(second).toEqual({ items: [1, 2, 3], cursor: null, loaded: true });
  });

  it('starts over on a first page and never shows an item twice', () => {
    const state = addPage(EMPTY, { items: ['a', 'b'], next_cursor: 'c' }, null);
    expect(addPage(state, { items: ['b', 'c'] }, 'c', (x) => x).items).toEqual(['a', 'b', 'c']);
    expect(addPage(state, { items: ['z'] }, null).items).toEqual(['z']);
  });
});

describe('forms', () => {
  it('maps a chosen file to the content type the API accepts', () => {
    expect(contentTypeOf({ name: 'scan.PDF', type: '' })).toBe('application/pdf');
    expect(contentTypeOf({ name: 'photo.jpg', type: 'image/jpeg' })).toBe('image/jpeg');
    expect(contentTypeOf({ name: 'notes.docx', type: 'application/msword' })).toBeNull();
  });

  it('keeps the details of profile entries that are still listed', () => {
    const before = [{ name: 'Pénicilline', severity: 'severe' as const }, { name: 'Pollen' }];
    expect(entriesFromLines('pénicilline\n\nArachide\nArachide', before)).toEqual([
      { name: 'Pénicilline', severity: 'severe' }, { name: 'Arachide' },
    ]);
  });

  it('sends times as UTC and shows sizes and units in French', () => {
    expect(localToIso('2027-03-15T10:30:00Z')).toBe('2027-03-15T10:30:00Z');
    expect(formatSize(2_500_000)).toBe('2,5 Mo');
    expect(unitLabel('mm[Hg]')).toBe('mmHg');
  });

  it('a session expires a little before the token does', () => {
    expect(sessionFromToken('t', 3600, 0).expiresAt).toBe(3570 * 1000);
  });
});
