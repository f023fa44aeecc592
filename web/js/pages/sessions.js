// sessions.js: the session observability browser, read with the signed-in API token (the one
// sign-in of the dashboard): filters of the search API, the list of sessions newest first
// (paged with "Load more"), and the timeline of the session picked, whose id is kept in the
// URL (session=...) so that a reload or a link shows it again. It reads the game's project
// (project_id) in the environment chosen.

import { h } from '../dom.js';
import * as api from '../api.js';
import * as state from '../state.js';
import { clock } from '../format.js';
import { Panel, grid } from '../ui/panel.js';
import { table } from '../ui/table.js';
import { timeline } from './timeline.js';

const FILTERS = [
  ['poolId', 'Pool id'], ['poolName', 'Pool name'], ['queueName', 'Queue name'], ['regionId', 'Region'],
  ['matchmakingTicketId', 'Ticket id'],
];

function problem(err) {
  if (err.status === 401) return 'This server no longer accepts your API token for multiplayer sessions: sign in again.';
  if (err.status === 404) return 'This session is not known (or has expired).';
  return err.message;
}

function filterForm(ctx) {
  const extra = ctx.st.extra;
  const fields = FILTERS.map(([k, label]) => h('label', { class: 'field' }, h('span', {}, label), h('input', { name: k, value: extra[k] || '', size: 12 })));
  // ISO text (YYYY-MM-DDTHH:MM, UTC) rather than the browser's localised date picker
  const when = (k, label) => h('label', { class: 'field' }, h('span', {}, `${label} (UTC)`), h('input', { name: k, value: (extra[k] || '').replace(/:00Z$/, ''),
    placeholder: 'YYYY-MM-DDTHH:MM', pattern: '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}', size: 16 }));
  const form = h('form', { class: 'filters inline-form', 'data-testid': 'so-filters' },
    h('label', { class: 'field' }, h('span', {}, 'Environment'), h('input', { name: 'env', value: extra.env || 'production', size: 10, 'data-testid': 'so-env' })),
    fields, when('createdAfter', 'Created after'), when('updatedAfter', 'Updated after'),
    h('button', { type: 'submit', class: 'button' }, 'Search'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    for (const k of ['createdAfter', 'updatedAfter']) if (data[k]) data[k] = `${data[k]}:00Z`;
    for (const k of Object.keys(data)) data[k] = data[k].trim();
    ctx.go({ extra: data });
  });
  return form;
}

export function render(main, ctx) {
  const extra = ctx.st.extra;
  const env = extra.env || 'production';
  const list = new Panel({ title: 'Multiplayer sessions', wide: true, testid: 'panel-so-list' });
  const detail = new Panel({ title: 'Session timeline', wide: true, testid: 'panel-so-timeline' });
  main.append(grid(list, detail));
  detail.empty('Pick a session in the list to see its events.');
  const params = { limit: 50 };
  for (const [k] of FILTERS) params[k] = extra[k];
  params.createdAfter = extra.createdAfter;
  params.updatedAfter = extra.updatedAfter;
  const rows = [];
  const show = async (sessionId) => {
    state.replace({ extra: { ...state.read().extra, session: sessionId } });
    detail.source(api.observabilityUrl(ctx.game.project_id, env, `/${encodeURIComponent(sessionId)}`, {}));
    detail.loading();
    try {
      detail.ready(timeline(await api.observability(ctx.game.project_id, env, `/${encodeURIComponent(sessionId)}`, {}, ctx.signal)));
    } catch (err) {
      if (err.name !== 'AbortError') detail.error(problem(err), () => show(sessionId));
    }
  };
  const page = async (next) => {
    if (!next) list.loading();
    try {
      const res = await api.observability(ctx.game.project_id, env, '', { ...params, next }, ctx.signal);
      rows.push(...res.results.map((s) => ({
        sessionId: s.sessionId, createdAt: s.createdAt, updatedAt: s.updatedAt,
        pool: s.gameMode ? s.gameMode.poolName || s.gameMode.poolId : '', queue: s.gameMode ? s.gameMode.queueName || s.gameMode.queueId : '',
        region: s.allocation ? s.allocation.regionId : '', allocation: s.allocation ? s.allocation.status : 'none',
        matchmaking: s.matchmakingStatus, events: (s.sessionEvents || []).length,
      })));
      if (!rows.length) {
        list.empty(`No multiplayer sessions match in environment "${env}". The matchmaker posts events to /session-observability/v1/projects/${ctx.game.project_id}/environments/${env}/sessions/{sessionId}/events with a writer service account.`);
        return;
      }
      list.ready(table({
        columns: [
          { key: 'sessionId', label: 'Session', kind: 'text' },
          { key: 'createdAt', label: 'Created (UTC)', kind: 'text', format: (v) => clock(v, { withDate: true }).slice(0, 19) },
          { key: 'updatedAt', label: 'Updated (UTC)', kind: 'text', format: (v, r) => { const t = clock(v, { withDate: true }).slice(0, 19); return t.slice(0, 10) === clock(r.createdAt, { withDate: true }).slice(0, 10) ? t.slice(11) : t; } },
          { key: 'pool', label: 'Pool', kind: 'text' }, { key: 'queue', label: 'Queue', kind: 'text' },
          { key: 'region', label: 'Region', kind: 'text' }, { key: 'allocation', label: 'Allocation', kind: 'text' },
          { key: 'matchmaking', label: 'Matchmaking', kind: 'text' }, { key: 'events', label: 'Events', kind: 'count' },
        ],
        rows, csv: `sessions-${env}`, testid: 'table-so-sessions', onRow: (r) => show(r.sessionId),
        caption: `${rows.length} session${rows.length === 1 ? '' : 's'}, newest first; click one for its timeline.`,
      }), res.next ? h('button', { type: 'button', class: 'button', 'data-testid': 'so-more', onclick: () => page(res.next) }, 'Load more') : null);
    } catch (err) {
      if (err.name !== 'AbortError') list.error(problem(err), () => page(next));
    }
  };
  list.source(api.observabilityUrl(ctx.game.project_id, env, '', params));
  main.querySelector('[data-testid="panel-so-list"] .panel-head').append(filterForm(ctx));
  page(null);
  if (extra.session) show(extra.session);
}
