import { existsSync, readFileSync } from 'node:fs';

import { STATE } from './global-setup';

/** Stops the stack this run started (its whole process group: emulator, worker, portal, API). */
export default async function globalTeardown(): Promise<void> {
  if (!existsSync(STATE)) return;
  const { pid } = JSON.parse(readFileSync(STATE, 'utf8')) as { pid: number };
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 40; i += 1) {
    try {
      process.kill(-pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone
  }
}
