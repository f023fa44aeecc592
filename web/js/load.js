// load.js: fetching metrics into panels, with the same rules everywhere: a panel shows its
// loading state while it waits; an answer with nothing in it shows what to send instead; a
// refused API token signs out; any other failure shows the server's message with a retry
// button.

import * as api from './api.js';
import { METRICS, paramsFor, isEmpty } from './catalog.js';

/**
 * Fetches metrics (specs: [[id, extra], ...]) for a panel and calls render(results) with one
 * answer per spec once all have come and at least one has data. ctx: the page context (main.js); emptyHint: what the empty state says
 * instead of the metric's own hint (e.g. when the panel's query names ids the game may not
 * send). Returns a promise that settles when the panel has its final state.
 */
export function loadInto(ctx, panel, specs, render, emptyHint) {
  const queries = specs.map(([id, extra]) => {
    const m = METRICS[id];
    const params = paramsFor(id, ctx.view, extra);
    return { m, params, url: api.metricUrl(ctx.game.id, m.name, params) };
  });
  panel.source(queries.map((q) => q.url));
  const run = async () => {
    panel.loading();
    const results = await Promise.all(queries.map((q) => api.metric(ctx.game.id, q.m.name, q.params, ctx.signal).then(
      (data) => ({ data }), (error) => ({ error }))));
    if (ctx.signal.aborted) return;
    const failed = results.find((r) => r.error);
    if (failed) {
      if (failed.error.name === 'AbortError') return;
      if (failed.error.status === 401) { ctx.signOut('This server no longer accepts your API token: sign in again.'); return; }
      panel.error(failed.error.message, run);
      return;
    }
    const answers = results.map((r) => r.data);
    if (answers.every(isEmpty)) {
      panel.empty(emptyHint || queries[0].m.hint);
      return;
    }
    try {
      render(answers);
    } catch (err) {
      panel.error(`This answer could not be shown: ${err.message}`, run);
      console.error(err); // a bug of the dashboard: tests fail on console errors
    }
  };
  return run();
}

/** One metric: render(data). */
export function loadOne(ctx, panel, id, extra, render) {
  return loadInto(ctx, panel, [[id, extra]], ([data]) => render(data));
}
