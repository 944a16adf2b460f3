/** The logic of the pages about the people around the patient (CONTRACT §10): invitations, the spaces of the people
 * one helps, the access log's filters. */

import { describe, expect, it } from 'vitest';

import { dayBound, filtered, logQuery, NO_FILTERS } from './pages/accesslog';
import { identityBody, invitationSentence, invitationStatus } from './pages/family';
import { navigation, sectionAfterSwitch, spacesOf } from './spaces';

describe('invitations', () => {
  it('sends the INS without the spaces people type in it, and trimmed names', () => {
    expect(identityBody({ ins: '2 80 05 75 123 456 74', given_name: ' Paul ', family_name: 'Durand ', birth_date: '1968-09-03' }))
      .toEqual({ ins: '280057512345674', given_name: 'Paul', family_name: 'Durand', birth_date: '1968-09-03' });
  });

  it('says what each invitation asks, and where it stands', () => {
    const patient = { ins: '1', given_name: 'Jeanne', family_name: 'Durand' };
    expect(invitationSentence({ kind: 'carer', patient })).toBe('Devenir l’aidant de Jeanne Durand');
    expect(invitationSentence({ kind: 'representative', patient })).toMatch(/^Gérer l’espace santé de Jeanne Durand, enfant/);
    expect(invitationStatus('expired')).toBe('Expirée');
  });
});

describe('the spaces of the people one helps', () => {
  const me = {
    ins: '168097512345601', given_name: 'Paul', family_name: 'Durand',
    helped: [{ ins: '241067512345612', given_name: 'Jeanne', family_name: 'Durand' }],
  };

  it('a carer reads, adds and may step down; never shares, exports or closes', () => {
    const [own, helped] = spacesOf(me);
    const items = navigation(helped);
    expect(items.find((i) => i.path === '/aidants')?.label).toBe('Mon rôle d’aidant');
    expect(items.map((i) => i.path)).not.toContain('/invitations');
    expect(navigation(own).map((i) => i.path)).toEqual(expect.arrayContaining(['/aidants', '/invitations']));
  });

  it('switching keeps the section when the new space has it, else opens its home page', () => {
    const [own, helped] = spacesOf(me);
    expect(sectionAfterSwitch(helped, '/documents')).toBe('/documents');
    expect(sectionAfterSwitch(helped, '/invitations')).toBe('/');
    expect(sectionAfterSwitch(helped, '/partage')).toBe('/');
    expect(sectionAfterSwitch(own, '/messages/c-123')).toBe('/messages/c-123');
  });

  it('a legal representative manages a child’s carers and sharing', () => {
    const [, child] = spacesOf({ ...me, helped: [], dependants: [{ ins: '118027512345623', given_name: 'Inès', family_name: 'Petit' }] });
    expect(navigation(child).map((i) => i.path)).toEqual(expect.arrayContaining(['/aidants', '/partage']));
  });
});

describe('access log filters', () => {
  it('sends only the filters given, the days as the instants they start and end', () => {
    expect(logQuery(NO_FILTERS)).toEqual({});
    const query = logQuery({ actor_id: ' 10003456789 ', mode: 'emergency', since: '2026-11-01', until: '2026-11-30' });
    expect(query.actor_id).toBe('10003456789');
    expect(query.mode).toBe('emergency');
    expect(new Date(query.since!).getTime()).toBe(new Date(2026, 10, 1, 0, 0, 0).getTime());
    expect(new Date(query.until!).getTime()).toBe(new Date(2026, 10, 30, 23, 59, 59).getTime());
    expect(dayBound('2026-11-30', true) > dayBound('2026-11-30', false)).toBe(true);
  });

  it('knows whether anything is filtered', () => {
    expect(filtered(NO_FILTERS)).toBe(false);
    expect(filtered({ ...NO_FILTERS, mode: 'app' })).toBe(true);
  });
});
