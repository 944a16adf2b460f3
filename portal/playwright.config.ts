import { existsSync } from 'node:fs';

import { defineConfig, devices } from '@playwright/test';

// Debian's Chromium (package `chromium`): Playwright never downloads a browser here. Missing → the run fails.
export const CHROMIUM = process.env.ENS_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  throw new Error(`Chromium is missing at ${CHROMIUM}: install Debian's package (apt-get install chromium); the browser tests never skip.`);
}

export default defineConfig({
  testDir: './tests/browser',
  globalSetup: './tests/browser/global-setup.ts',
  globalTeardown: './tests/browser/global-teardown.ts',
  fullyParallel: false,
  workers: 1, // two cores shared with the stack under test
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    ...devices['Desktop Chrome'],
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    acceptDownloads: true,
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync', '--lang=fr-FR'],
    },
  },
});
