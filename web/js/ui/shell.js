// shell.js: the frame around every page: the brand, the game chooser, the date range and the
// filters (in the header), the comparison toggle and the group-by of the page's metrics, the
// page menu (on the left) and the page's own area. Every control writes the URL's hash
// (state.js); main.js renders the page again from it. The platform field suggests the values
// that really occur in the range (GET .../dimensions/platform/values, events and metrics
// sessions); a dimension the server does not list gives none.

import { h } from '../dom.js';
import * as state from '../state.js';
import { PRESETS, INTERVALS } from '../range.js';
import { EVENT_DIMENSIONS, GROUP_BY } from '../catalog.js';
import * as api from '../api.js';

const PORTALS = ['apple', 'discord', 'epicgames', 'facebook', 'gog', 'google', 'itchio', 'nintendo', 'psn', 'sso', 'steam', 'xboxlive', 'unknown'];

function select(name, value, options, label) {
  return h('label', { class: 'field' }, h('span', {}, label),
    h('select', { name, 'data-testid': `filter-${name}` }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

function input(name, value, label, attrs = {}) {
  return h('label', { class: 'field' }, h('span', {}, label), h('input', { name, value, 'data-testid': `filter-${name}`, ...attrs }));
}

/** Fills the platform datalist with the values of the range (events, then metrics sessions),
 * most users first; nothing when the server has no values endpoint. */
async function suggestPlatforms(list, game, view, signal) {
  const range = { from: view.from, to: view.to };
  const answers = await Promise.all([api.dimensionValues(game.id, 'platform', range, signal),
    api.dimensionValues(game.id, 'platform', { ...range, source: 'sessions' }, signal)].map((p) => p.catch(() => [])));
  const seen = new Set();
  for (const v of answers.flat()) {
    if (!v || typeof v.value !== 'string' || seen.has(v.value)) continue;
    seen.add(v.value);
    list.append(h('option', { value: v.value, label: `${v.value} (${v.users} users)` }));
  }
}

/** The filter form of a state; submitting it (or changing a select) writes the hash. groups:
 * the group_by dimensions the page's metrics take ([] : no group select). */
function filters(st, groups) {
  const custom = st.range === 'custom';
  const form = h('form', { class: 'filters', 'aria-label': 'Date range and filters' },
    select('range', st.range, [...PRESETS.map((p) => [p.id, p.label]), ['custom', 'Custom days (UTC)']], 'Range'),
    // ISO days as text: the browser's date picker would show them in its locale (11/30/2026)
    custom ? input('from', st.from, 'From (YYYY-MM-DD)', { required: true, pattern: '\\d{4}-\\d{2}-\\d{2}', placeholder: 'YYYY-MM-DD', size: 10 }) : null,
    custom ? input('to', st.to, 'To (YYYY-MM-DD)', { required: true, pattern: '\\d{4}-\\d{2}-\\d{2}', placeholder: 'YYYY-MM-DD', size: 10 }) : null,
    select('interval', st.interval, INTERVALS.map((i) => [i, i === 'auto' ? 'Auto' : `By ${i}`]), 'Interval'),
    input('platform', st.platform, 'Platform', { list: 'platforms', placeholder: 'all', size: 9 }),
    select('portal', st.portal, [['', 'All'], ...PORTALS.map((p) => [p, p])], 'Portal'),
    select('dim', st.dim, [['', '—'], ...EVENT_DIMENSIONS.map((d) => [d, d])], 'Dimension'),
    input('dimValue', st.dimValue, 'equals', { placeholder: 'value', size: 8 }),
    groups.length ? select('group', groups.includes(st.group) ? st.group : '', [['', 'None'], ...groups.map((g) => [g, g])], 'Group by') : null,
    h('label', { class: 'field inline compare' }, h('input', { type: 'checkbox', name: 'compare', value: '1', checked: st.compare === '1', 'data-testid': 'filter-compare' }), h('span', { title: 'Compare with the period just before, of the same length' }, 'vs previous period')),
    h('button', { type: 'submit', class: 'button' }, 'Apply'),
    h('datalist', { id: 'platforms', 'data-testid': 'platform-suggestions' }));
  const apply = () => {
    const data = Object.fromEntries(new FormData(form));
    const patch = { range: data.range, interval: data.interval, platform: data.platform.trim(), portal: data.portal, dim: data.dim, dimValue: (data.dimValue || '').trim(),
      compare: data.compare ? '1' : '', group: groups.length ? data.group || '' : st.group };
    if (data.range === 'custom') {
      const today = new Date().toISOString().slice(0, 10);
      patch.from = data.from || st.from || today;
      patch.to = data.to || st.to || today;
    } else {
      patch.from = '';
      patch.to = '';
    }
    state.go(patch);
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
  for (const el of form.querySelectorAll('select, input[type="checkbox"]')) el.addEventListener('change', apply);
  return form;
}

/**
 * Builds the frame. opts: { st (state), games, pages ([{ id, title, families }]), game (the one
 * shown), view (its range), signal (ends the suggestions' request), onSignOut }.
 * Returns { el, main } (main: where the page renders).
 */
export function shell({ st, games, pages, game, view, signal, onSignOut }) {
  const page = pages.find((p) => p.id === st.page);
  const groups = [...new Set(((page && page.families) || []).flatMap((f) => GROUP_BY[f]))];
  const form = filters(st, groups);
  if (game && view) suggestPlatforms(form.querySelector('#platforms'), game, view, signal).catch(() => {});
  const gameSelect = h('select', { name: 'game', 'data-testid': 'game-select', 'aria-label': 'Game', onchange: (e) => state.go({ game: e.target.value }) },
    games.map((g) => h('option', { value: String(g.id), selected: String(g.id) === st.game }, `${g.name} (#${g.id})`)));
  const nav = h('nav', { class: 'menu', 'aria-label': 'Pages' }, h('ul', {}, pages.map((p) => h('li', {},
    h('a', { href: state.toHash({ ...st, page: p.id, extra: {} }), class: p.id === st.page ? 'active' : '', 'aria-current': p.id === st.page ? 'page' : null, 'data-testid': `nav-${p.id}` }, p.title)))));
  const main = h('main', { class: 'page', id: 'page', tabindex: '-1' });
  const el = h('div', { class: 'app' },
    h('header', { class: 'topbar' },
      h('a', { class: 'brand', href: '#/overview' }, 'playstat'),
      h('label', { class: 'field game' }, h('span', {}, 'Game'), gameSelect),
      form,
      h('button', { type: 'button', class: 'button subtle', onclick: onSignOut, 'data-testid': 'sign-out' }, 'Sign out')),
    h('div', { class: 'body' }, nav, main));
  return { el, main };
}
