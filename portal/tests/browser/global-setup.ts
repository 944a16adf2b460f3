/** Starts the whole local stack (`python -m ens_cli.stack`, what `make run` runs) on free ports for the browser
 * tests, and waits until GET /health answers 200 (emulator, worker, portal and API ready). */

import { spawn } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export const ROOT = resolve(HERE, '../../..');
export const CACHE = join(HERE, '../../.cache');
export const STATE = join(CACHE, 'stack.json');

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

async function waitHealthy(url: string, seconds: number, exited: () => number | null): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (exited() !== null) throw new Error(`the stack exited (code ${exited()}) before it was ready; see portal/.cache/stack.log`);
    try {
      const answer = await fetch(url);
      if (answer.status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the stack did not answer ${url} within ${seconds} s; see portal/.cache/stack.log`);
}

export default async function globalSetup(): Promise<void> {
  const [api, aws, portal] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, ENS_API_PORT: String(api), ENS_AWS_PORT: String(aws), ENS_PORTAL_PORT: String(portal) };
  for (const name of ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[name];
  const python = process.env.ENS_PYTHON ?? join(ROOT, '.venv/bin/python');
  mkdirSync(CACHE, { recursive: true });
  const log = openSync(join(CACHE, 'stack.log'), 'w');
  const child = spawn(python, ['-u', '-m', 'ens_cli.stack'], { cwd: ROOT, env, stdio: ['ignore', log, log], detached: true });
  let code: number | null = null;
  child.on('exit', (c) => { code = c ?? -1; });
  const state = { pid: child.pid, api: `http://127.0.0.1:${api}`, aws: `http://127.0.0.1:${aws}`, portal: `http://127.0.0.1:${portal}`, env: { ENS_API_PORT: String(api), ENS_AWS_PORT: String(aws) } };
  writeFileSync(STATE, JSON.stringify(state));
  await waitHealthy(`${state.api}/health`, 240, () => code);
}
