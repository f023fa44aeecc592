// timeline.js: one multiplayer session as its story: the summary of its document (game mode,
// allocation, matchmaking status) and its events in time order, each with its offset from
// the first, what it says in a line, and a CSV of the events.

import { h } from '../dom.js';
import { clock } from '../format.js';
import { table } from '../ui/table.js';

function players(list) {
  return (list || []).map((p) => `${p.id}${p.ticketId ? ` (ticket ${p.ticketId})` : ''}`).join(', ');
}

/** One line about an event's payload. */
export function describe(e) {
  switch (e.type) {
    case 'match.created':
    case 'backfill.match.created':
      return [(e.teams || []).map((t) => `${t.name || t.id}: ${(t.playerIds || []).join(', ')}`).join('; '),
        e.backfillTicketId ? `backfill ticket ${e.backfillTicketId}` : ''].filter(Boolean).join(' · ');
    case 'allocation.requested': return `region ${e.regionId}`;
    case 'allocation.failed': return e.reason ? `reason: ${e.reason}` : 'no reason given';
    case 'allocation.succeeded': return 'server allocated';
    case 'players.assigned':
      return [players(e.players), e.assignmentStatus ? `status ${e.assignmentStatus}` : ''].filter(Boolean).join(' · ');
    case 'players.connected':
    case 'players.disconnected':
      return players(e.players);
    default: {
      const { type, timestamp, ...rest } = e;
      return JSON.stringify(rest);
    }
  }
}

/** The timeline of a session document (GET .../sessions/{id}). */
export function timeline(doc) {
  const events = doc.sessionEvents || [];
  const t0 = events.length ? Date.parse(events[0].timestamp) : 0;
  const offset = (ts) => `+${((Date.parse(ts) - t0) / 1000).toFixed(3)} s`;
  const alloc = doc.allocation;
  const mode = doc.gameMode;
  const summary = h('dl', { class: 'summary', 'data-testid': 'session-summary' },
    h('dt', {}, 'Session'), h('dd', {}, doc.sessionId),
    h('dt', {}, 'Created'), h('dd', {}, clock(doc.createdAt, { withDate: true })),
    h('dt', {}, 'Updated'), h('dd', {}, clock(doc.updatedAt, { withDate: true })),
    h('dt', {}, 'Game mode'), h('dd', {}, mode ? `${mode.poolName || mode.poolId || '–'} / ${mode.queueName || mode.queueId || '–'}` : '–'),
    h('dt', {}, 'Allocation'), h('dd', { 'data-testid': 'session-allocation' }, alloc ? `${alloc.status} in ${alloc.regionId || '–'}` : 'not requested'),
    h('dt', {}, 'Matchmaking'), h('dd', {}, doc.matchmakingStatus));
  const list = h('ol', { class: 'timeline', 'data-testid': 'session-timeline' }, events.map((e) => h('li', { class: 'timeline-item', 'data-type': e.type },
    h('span', { class: 'timeline-time' }, clock(e.timestamp), h('span', { class: 'timeline-offset' }, offset(e.timestamp))),
    h('span', { class: `badge type-${e.type.split('.')[0]}` }, e.type),
    h('span', { class: 'timeline-text' }, describe(e)))));
  const csv = table({
    columns: [{ key: 'timestamp', label: 'Timestamp', kind: 'text' }, { key: 'type', label: 'Type', kind: 'text' }, { key: 'detail', label: 'Detail', kind: 'text' }],
    rows: events.map((e) => ({ timestamp: e.timestamp, type: e.type, detail: describe(e) })),
    csv: `session-${doc.sessionId}`, testid: 'table-session-events', caption: `${events.length} events`,
  });
  csv.classList.add('compact');
  return h('div', { class: 'session-detail' }, summary, list, csv);
}
