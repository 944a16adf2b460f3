/** The logic of the pages of CONTRACT §10: notifications, appointments changed, prevention statuses. */

import { describe, expect, it } from 'vitest';

import { isoToLocal, localToIso, noticeKindLabel } from './format';
import { appointmentChanges, formOf, statusSentence, statusUpdate } from './pages/agenda';
import { isRead, spaceOfNotice, switchesOf } from './pages/notifications';
import { navigation, spacesOf } from './spaces';

const appointment = {
  appointment_id: 'a1', title: 'Dentiste', start: '2027-03-15T09:30:00Z', end: '2027-03-15T10:00:00Z',
  source: { role: 'patient', id: '280057512345608' }, created_at: '2026-12-01T08:00:00Z',
  location: 'Lyon', professional: null, note: null, reminder_at: '2027-03-14T17:00:00Z', updated_at: null,
} as unknown as Parameters<typeof formOf>[0];

describe('changing an appointment', () => {
  it('sends nothing when nothing changed', () => {
    expect(appointmentChanges(appointment, formOf(appointment))).toEqual({});
  });

  it('sends only what changed, in UTC', () => {
    const form = { ...formOf(appointment), title: ' Dentiste (contrôle) ', start: isoToLocal('2027-03-16T09:30:00Z') };
    expect(appointmentChanges(appointment, form)).toEqual({ title: 'Dentiste (contrôle)', start: '2027-03-16T09:30:00Z' });
  });

  it('an emptied optional field is removed, an emptied reminder cancels it', () => {
    const form = { ...formOf(appointment), location: '  ', reminder: '' };
    expect(appointmentChanges(appointment, form)).toEqual({ location: null, reminder_at: null });
  });

  it('an emptied end is not sent: the appointment keeps its length', () => {
    expect(appointmentChanges(appointment, { ...formOf(appointment), end: '' })).toEqual({});
  });

  it('a datetime-local value and an instant convert both ways', () => {
    expect(localToIso(isoToLocal('2027-03-15T09:30:00Z'))).toBe('2027-03-15T09:30:00Z');
    expect(isoToLocal(null)).toBe('');
  });
});

describe('prevention statuses', () => {
  it('a postponement carries its day, any other status none', () => {
    expect(statusUpdate('postponed', '2027-01-10')).toEqual({ status: 'postponed', postponed_until: '2027-01-10' });
    expect(statusUpdate('done', '2027-01-10')).toEqual({ status: 'done' });
    // No day given: the API names the missing field.
    expect(statusUpdate('postponed', '')).toEqual({ status: 'postponed', postponed_until: null });
  });

  it('says in French where a recommendation stands', () => {
    expect(statusSentence({ status: 'postponed', postponed_until: '2027-01-10' })).toBe('Reporté au 10 janvier 2027');
    expect(statusSentence({ status: 'not_done', postponed_until: null })).toBe('Vous ne le ferez pas');
    expect(statusSentence({ status: 'planned', postponed_until: null })).toBe('Prévu');
  });
});

describe('notifications', () => {
  const me = {
    ins: '280057512345608', given_name: 'Camille', family_name: 'Martin',
    dependants: [{ ins: '116037512345623', given_name: 'Léo', family_name: 'Martin' }],
  };

  it('names the space a notice was about as the switcher does', () => {
    const spaces = spacesOf(me);
    expect(spaceOfNotice(spaces, me.ins)).toBe('Mon espace');
    expect(spaceOfNotice(spaces, '116037512345623')).toBe('Espace de Léo (enfant)');
    expect(spaceOfNotice(spaces, '199999999999999')).toBe('Un espace que vous ne gérez plus');
  });

  it('a notice marked read here stays read without reloading the list', () => {
    expect(isRead({ notification_id: 'n1', read: false }, new Set(['n1']))).toBe(true);
    expect(isRead({ notification_id: 'n2', read: false }, new Set(['n1']))).toBe(false);
    expect(isRead({ notification_id: 'n3', read: true }, new Set())).toBe(true);
  });

  it('keeps the five switches of the preferences, not what is always sent', () => {
    const switches = switchesOf({
      message: false, document: true, appointment: true, synchronised_service: false, prevention: true,
      required: ['space_created'], updated_at: null,
    });
    expect(switches).toEqual({ message: false, document: true, appointment: true, synchronised_service: false, prevention: true });
    expect(noticeKindLabel('emergency_access')).toBe('Accès en urgence');
    expect(noticeKindLabel('some_new_kind')).toBe('some new kind');
  });

  it('the centre and the preferences are the person’s own, not a managed space’s', () => {
    const [own, child] = spacesOf(me);
    expect(navigation(own).map((i) => i.path)).toContain('/notifications');
    expect(navigation(child).map((i) => i.path)).not.toContain('/notifications');
  });
});
