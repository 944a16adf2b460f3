/** What the browser tests need from the running stack: people enrolled by the back office (through the API, as the
 * agent would), their codes (from the stack's outbox, `ens outbox`), professionals' tokens (`ens token`), and the
 * checks every page must pass (axe-core, no horizontal scrolling on a phone). */

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

import { ROOT, STATE } from './global-setup';

interface StackState {
  api: string;
  aws: string;
  portal: string;
  env: Record<string, string>;
}

let cached: StackState | null = null;
export function stack(): StackState {
  cached ??= JSON.parse(readFileSync(STATE, 'utf8')) as StackState;
  return cached;
}

/** The operator CLI against this run's stack (JSON on stdout). */
export function ens(...args: string[]): unknown {
  const out = execFileSync(join(ROOT, '.venv/bin/ens'), args, {
    cwd: ROOT, env: { ...process.env, ...stack().env }, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = out.split('\n').filter((l) => l.trim());
  return args[0] === 'outbox' ? lines.map((l) => JSON.parse(l)) : JSON.parse(lines[0]);
}

export function token(...args: string[]): string {
  return (ens('token', ...args) as { token: string }).token;
}

export async function api(method: string, path: string, bearer: string | null, body?: unknown): Promise<{ status: number; json: any }> {
  const answer = await fetch(`${stack().api}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  return { status: answer.status, json: text ? JSON.parse(text) : null };
}

// -- test identities ------------------------------------------------------------------------------------------------
let serial = Math.floor(Math.random() * 400_000);

export function makeNir(sex: 1 | 2, born: string): string {
  serial += 1;
  const [year, month] = born.split('-');
  const body = `${sex}${year.slice(2)}${month}75${String((Math.floor(serial / 1000) % 999) + 1).padStart(3, '0')}${String(serial % 1000).padStart(3, '0')}`;
  const key = 97 - Number(BigInt(body) % 97n);
  return `${body}${String(key).padStart(2, '0')}`;
}

function luhn(body: string): string {
  let total = 0;
  [...body].reverse().forEach((ch, i) => {
    const d = Number(ch) * (i % 2 === 0 ? 2 : 1);
    total += d > 9 ? d - 9 : d;
  });
  return body + String((10 - (total % 10)) % 10);
}

export function makeRpps(): string {
  return luhn(String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999)));
}

export interface Person {
  nir: string;
  given_name: string;
  family_name: string;
  birth_date: string;
  vitale_serial: string;
  email: string;
  legal_representative_nir?: string;
  notified_at?: string;
}

let agent: string | null = null;
function agentToken(): string {
  agent ??= token('--role', 'agent');
  return agent;
}

export async function enrol(extra: Partial<Person> & { sex?: 1 | 2 } = {}): Promise<Person> {
  const born = extra.birth_date ?? '1980-05-01';
  const person: Person = {
    nir: makeNir(extra.sex ?? 2, born), given_name: 'Camille', family_name: 'Martin', birth_date: born,
    vitale_serial: String(1_000_000_000 + Math.floor(Math.random() * 8_999_999_999)), email: 'camille.martin@example.org',
    ...extra,
  };
  delete (person as { sex?: number }).sex;
  const reply = await api('POST', '/enrolments', agentToken(), { beneficiaries: [person] });
  expect(reply.status, JSON.stringify(reply.json)).toBe(200);
  expect(reply.json.results[0].status, JSON.stringify(reply.json)).toBe('notified');
  return person;
}

/** The provisional code the person received (the stack's outbox holds what it sent). */
export function latestCode(nir: string): string {
  const sent = ens('outbox', '--to', nir) as { kind: string; data: { code?: string } }[];
  const codes = sent.filter((n) => n.kind === 'enrolment_notice' || n.kind === 'activation_code');
  expect(codes.length, `no code sent to ${nir}`).toBeGreaterThan(0);
  return codes[codes.length - 1].data.code!;
}

export async function activated(extra: Partial<Person> & { sex?: 1 | 2 } = {}): Promise<Person> {
  const person = await enrol(extra);
  const reply = await api('POST', '/activation', null, { nir: person.nir, vitale_serial: person.vitale_serial, code: latestCode(person.nir) });
  expect(reply.status, JSON.stringify(reply.json)).toBe(200);
  return person;
}

export function professional(profession = 'medecin'): { rpps: string; token: string } {
  const rpps = makeRpps();
  return { rpps, token: token('--role', 'professional', '--rpps', rpps, '--profession', profession) };
}

// -- the portal -----------------------------------------------------------------------------------------------------

/** Signs in as a person would: the development sign-in page, the NIR, the button. */
export async function signIn(page: Page, person: Person): Promise<void> {
  await page.goto(`${stack().portal}/connexion`);
  await page.getByLabel('Numéro de sécurité sociale').fill(person.nir);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Mon espace santé', exact: true })).toBeVisible();
}

/** Goes to a section through the menu, as a person would. */
export async function openSection(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: /Rubriques/ }).getByRole('link', { name, exact: true }).click();
}

/** axe-core (WCAG 2.1 A and AA rules): no serious or critical violation. */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`),
    `axe-core on ${where}`).toEqual([]);
}

/** axe-core at a desktop size, then at a phone's (where nothing may scroll sideways either); the size is restored. */
export async function expectAccessibleAtBothSizes(page: Page, where: string): Promise<void> {
  await expectAccessible(page, where);
  const desktop = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  try {
    await expectNoHorizontalScroll(page, `${where} (phone)`);
    await expectAccessible(page, `${where} (phone)`);
  } finally {
    if (desktop) await page.setViewportSize(desktop);
  }
}

/** The page fits the viewport's width: nothing to scroll sideways. */
export async function expectNoHorizontalScroll(page: Page, where: string): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth,
  }));
  expect(scroll, `${where} scrolls sideways (${scroll}px of content in ${width}px)`).toBeLessThanOrEqual(width);
}

export const SCREENSHOTS = join(ROOT, 'docs', 'portal');

export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.ENS_SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export const PDF_BYTES = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

/** Ticks or unticks a DSFR checkbox as a person does: by clicking its label (the input itself is drawn by CSS). */
export async function setCheckbox(page: Page, label: string, checked: boolean): Promise<void> {
  const box = page.getByLabel(label).first();
  if ((await box.isChecked()) !== checked) await page.getByText(label).first().click();
  await expect(box).toBeChecked({ checked });
}
