import '@gouvfr/dsfr/dist/dsfr.min.css';
import './portal.css';

import { render } from 'preact';

import { App } from './App';
import { configureApi } from './api';
import { loadConfig } from './config';
import { messageOf } from './errors';

async function start(): Promise<void> {
  const root = document.getElementById('app')!;
  try {
    const config = await loadConfig();
    configureApi(config.api_url);
    render(<App config={config} />, root);
  } catch (error) {
    root.innerHTML = '';
    render(
      <main class="fr-container fr-py-6w" id="contenu">
        <h1>Mon Espace Santé</h1>
        <div class="fr-alert fr-alert--error" role="alert"><p>{messageOf(error)}</p></div>
      </main>,
      root,
    );
  }
}

void start();
