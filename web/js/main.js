// main.js: the dashboard's entry point. Signs in (signin.js) or restores the session, loads
// the games, then renders the shell and the page that the URL's hash names, again on every
// change of the hash. Each page render gets a context (ctx) whose AbortSignal and disposers
// end its requests, timers and charts when the next render replaces it.

import { h } from './dom.js';
import * as api from './api.js';
import * as credentials from './credentials.js';
import * as state from './state.js';
import { resolve } from './range.js';
import { shell } from './ui/shell.js';
import { renderSignIn } from './pages/signin.js';
import { PAGES } from './pages/index.js';

const root = document.getElementById('app');
let games = [];
let current = null; // { controller, disposers }

function endCurrent() {
  if (!current) return;
  current.controller.abort();
  for (const fn of current.disposers.splice(0)) {
    try { fn(); } catch (err) { console.error(err); }
  }
  current = null;
}

function signOut(message) {
  endCurrent();
  credentials.clearAll();
  window.removeEventListener('hashchange', render);
  renderSignIn(root, { message, onSignedIn: start });
}

function noGames() {
  root.replaceChildren(h('div', { class: 'signin-page' }, h('div', { class: 'signin', 'data-testid': 'no-games' },
    h('h1', {}, 'No games yet'),
    h('p', {}, 'Create a game on the server, then reload this page:'),
    h('pre', {}, 'playstat game create --data DIR --name "My Game"'),
    h('button', { type: 'button', class: 'button', onclick: () => signOut() }, 'Sign out'))));
}

function render() {
  endCurrent();
  const st = state.read();
  const page = PAGES.find((p) => p.id === st.page);
  const game = games.find((g) => String(g.id) === st.game);
  if (!page || !game) { // unknown page or game: the first of each, keeping the rest
    state.go({ page: page ? page.id : PAGES[0].id, game: String((game || games[0]).id) });
    return;
  }
  const controller = new AbortController();
  current = { controller, disposers: [] };
  const disposers = current.disposers;
  const view = { ...resolve(st), platform: st.platform, portal: st.portal, dim: st.dim, dimValue: st.dimValue,
    compare: st.compare === '1', group: st.group };
  const { el, main } = shell({ st, games, pages: PAGES, game, view, signal: controller.signal, onSignOut: () => signOut() });
  root.replaceChildren(el);
  document.title = `${page.title} · ${game.name} · playstat`;
  const ctx = {
    game, games, st, view,
    signal: controller.signal,
    dispose: (fn) => disposers.push(fn),
    signOut,
    go: state.go,
    refresh: render,
  };
  main.dataset.page = page.id;
  main.dataset.from = String(ctx.view.from);
  main.dataset.to = String(ctx.view.to);
  main.append(h('h1', { class: 'page-title' }, page.title, h('span', { class: 'page-sub' }, `${game.name} · UTC`)));
  page.render(main, ctx);
}

function start(list) {
  games = list;
  if (!games.length) { noGames(); return; }
  window.addEventListener('hashchange', render);
  render();
}

async function boot() {
  if (!credentials.apiToken()) { renderSignIn(root, { onSignedIn: start }); return; }
  try {
    start(await api.games());
  } catch (err) {
    if (err.status === 401) signOut('Your API token is no longer accepted: sign in again.');
    else root.replaceChildren(h('div', { class: 'state error', role: 'alert' }, `Could not reach playstat: ${err.message}`,
      h('button', { type: 'button', class: 'button', onclick: boot }, 'Retry')));
  }
}

boot();
