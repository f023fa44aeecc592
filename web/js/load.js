// load.js: fetching metrics into panels, with the same rules everywhere: a panel shows its
// loading state while it waits; an answer with nothing in it shows what to send instead, or,
// when a filter is set, that the filter matched nothing; a refused API token signs out; any
// other failure shows the server's message with a retry button. With the comparison on
// (compare=1), each metric of a panel that compares is asked twice: over the range and over
// the previous period of the same length; data-src names both URLs.

import * as api from './api.js';
import { METRICS, paramsFor, isEmpty, previousView, filterText, refusal } from './catalog.js';

/** What a failed answer says in a panel: a 400 is the server explaining what it does not
 * answer (e.g. a dimension it does not know yet), shown as a note rather than an alarm. */
export function showFailure(ctx, panel, error, retry) {
  if (error.name === 'AbortError') return;
  if (error.status === 401) { ctx.signOut('This server no longer accepts your API token: sign in again.'); return; }
  if (error.status === 400) { panel.unavailable(error.message); return; }
  panel.error(error.message, retry);
}

/**
 * Fetches metrics (specs: [[id, extra], ...]) for a panel and calls render(results, previous)
 * with one answer per spec once all have come and at least one has data; previous: the answers
 * over the previous period when opts.compare and the view compares, else null. ctx: the page
 * context (main.js); opts.emptyHint: what the empty state says instead of the metric's own hint
 * (e.g. when the panel's query names ids the game may not send). Returns a promise that
 * settles when the panel has its final state.
 */
export function loadInto(ctx, panel, specs, render, opts = {}) {
  const { emptyHint, compare = false } = typeof opts === 'string' ? { emptyHint: opts } : opts;
  const ask = (view) => specs.map(([id, extra]) => {
    const m = METRICS[id];
    const params = paramsFor(id, view, extra);
    return { m, params, url: api.metricUrl(ctx.game.id, m.name, params), refused: refusal(id, params) };
  });
  const queries = ask(ctx.view);
  const before = compare && ctx.view.compare ? ask(previousView(ctx.view)) : [];
  panel.source([...queries, ...before].map((q) => q.url));
  const refused = queries.find((q) => q.refused);
  if (refused) { // what the server would refuse is not asked (GET /api/v1/metrics says so)
    panel.unavailable(refused.refused);
    return Promise.resolve();
  }
  const run = async () => {
    panel.loading();
    const results = await Promise.all([...queries, ...before].map((q) => api.metric(ctx.game.id, q.m.name, q.params, ctx.signal).then(
      (data) => ({ data }), (error) => ({ error }))));
    if (ctx.signal.aborted) return;
    const failed = results.find((r) => r.error);
    if (failed) { showFailure(ctx, panel, failed.error, run); return; }
    const answers = results.slice(0, queries.length).map((r) => r.data);
    const previous = before.length ? results.slice(queries.length).map((r) => r.data) : null;
    if (answers.every(isEmpty)) {
      const filters = filterText(specs[0][0], ctx.view);
      if (filters) panel.filtered(filters);
      else panel.empty(emptyHint || queries[0].m.hint);
      return;
    }
    try {
      render(answers, previous);
    } catch (err) {
      panel.error(`This answer could not be shown: ${err.message}`, run);
      console.error(err); // a bug of the dashboard: tests fail on console errors
    }
  };
  return run();
}

/** One metric: render(data, previous) (previous: the previous period's answer or null). */
export function loadOne(ctx, panel, id, extra, render, opts = {}) {
  return loadInto(ctx, panel, [[id, extra]], ([data], previous) => render(data, previous ? previous[0] : null), opts);
}
