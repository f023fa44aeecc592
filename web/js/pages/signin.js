// signin.js: the sign-in page: an API token (`playstat api-token create`) checked against the
// server (GET /api/v1/games) before it is kept in sessionStorage.

import { h } from '../dom.js';
import * as api from '../api.js';
import * as credentials from '../credentials.js';

/** Renders into root; calls onSignedIn(games) once a token is accepted. message: shown above. */
export function renderSignIn(root, { message, onSignedIn }) {
  const token = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false', 'data-testid': 'token-input', placeholder: 'pst_…' });
  const status = h('p', { class: 'signin-status', role: 'status', 'data-testid': 'signin-status' }, message || '');
  const button = h('button', { type: 'submit', class: 'button primary', 'data-testid': 'sign-in' }, 'Sign in');
  const form = h('form', { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'playstat'),
    h('p', {}, 'Sign in with an API token. Create one on the server with:'),
    h('pre', {}, 'playstat api-token create --data DIR'),
    h('label', { for: 'token' }, 'API token'),
    token, button, status,
    h('p', { class: 'state-note' }, 'The token stays in this tab only (sessionStorage) and is sent to this server alone.'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    button.disabled = true;
    status.textContent = 'Checking…';
    credentials.setApiToken(token.value.trim());
    try {
      const games = await api.games();
      onSignedIn(games);
    } catch (err) {
      credentials.clearAll();
      status.textContent = err.status === 401 ? 'This server does not know that token.' : `Could not sign in: ${err.message}`;
      button.disabled = false;
    }
  });
  root.replaceChildren(h('div', { class: 'signin-page' }, form));
  token.focus();
}
