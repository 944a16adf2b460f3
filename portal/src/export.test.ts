/** The export page's logic (CONTRACT §10): following an export while it is built, and saying where it stands. */

import { describe, expect, it } from 'vitest';

import { exportSentence, pollDelay } from './pages/export';
import { navigation, spacesOf } from './spaces';

describe('export', () => {
  it('asks again quickly at first, then every 5 seconds at most', () => {
    expect([0, 1, 2, 3, 10].map(pollDelay)).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it('says where the export stands, with its size and when it is erased', () => {
    expect(exportSentence({ status: 'running', size: null, expires_at: null })).toMatch(/en préparation/);
    const ready = exportSentence({ status: 'ready', size: 2_500_000, expires_at: '2026-12-09T10:00:00Z' });
    expect(ready).toMatch(/^Votre export est prêt \(2,5 Mo\) : téléchargez-le avant le 9 décembre 2026/);
    expect(exportSentence({ status: 'failed', size: null, expires_at: null })).toMatch(/n’a pas pu/);
  });

  it('is offered in the person’s own space and a child’s, never in the space of a person one helps', () => {
    const [own, child, helped] = spacesOf({
      ins: '168097512345601', given_name: 'Paul', family_name: 'Durand',
      dependants: [{ ins: '118027512345623', given_name: 'Inès', family_name: 'Petit' }],
      helped: [{ ins: '241067512345612', given_name: 'Jeanne', family_name: 'Durand' }],
    });
    expect(navigation(own).find((i) => i.path === '/export')?.label).toBe('Export des données');
    expect(navigation(child).map((i) => i.path)).toContain('/export');
    expect(navigation(helped).map((i) => i.path)).not.toContain('/export');
  });
});
