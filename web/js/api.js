// api.js: the dashboard's client of playstat's HTTP APIs (docs/http-api.md): the insights read
// API and the session observability API, both with the signed-in API token (Bearer). Every
// failure becomes an ApiError carrying the status and the server's message; requests never
// send cookies (credentials: 'omit'), so no 401 opens the browser's own password dialog.

import * as credentials from './credentials.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status; // 0: the server could not be reached
    this.code = code;
  }
}

/** The query string of params, leaving out undefined, null and ''. */
export function queryString(params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.append(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}

async function getJson(path, authorization, signal) {
  let res;
  try {
    res = await fetch(path, { headers: { Authorization: authorization, Accept: 'application/json' }, credentials: 'omit', signal });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'the server could not be reached');
  }
  let body = null;
  try { body = await res.json(); } catch (_) { /* not JSON */ }
  if (res.ok) return body;
  // {"error", "message"} (insights) or RFC 7807 {"title", "detail"} (session observability)
  const code = body && (typeof body.error === 'string' ? body.error : body.title);
  const message = body && (body.message || body.detail || body.title);
  throw new ApiError(res.status, code || String(res.status), message || `HTTP ${res.status}`);
}

/** GET of the insights API (path under /api/v1), as the signed-in API token. */
export function insights(path, params, signal) {
  return getJson(`/api/v1${path}${queryString(params)}`, `Bearer ${credentials.apiToken() || ''}`, signal);
}

/** The exact URL a metric query fetches (the dashboard shows it on each panel). */
export function metricUrl(gameId, name, params) {
  return `/api/v1/games/${encodeURIComponent(gameId)}/metrics/${encodeURIComponent(name)}${queryString(params)}`;
}

export function metric(gameId, name, params, signal) {
  return insights(`/games/${encodeURIComponent(gameId)}/metrics/${encodeURIComponent(name)}`, params, signal);
}

export function live(gameId, signal) {
  return insights(`/games/${encodeURIComponent(gameId)}/live`, {}, signal);
}

export async function games(signal) {
  return (await insights('/games', {}, signal)).games;
}

/** The newest raw analytics events of a game (at most 50), newest first. */
export function latestEvents(gameId, limit, signal) {
  return insights(`/games/${encodeURIComponent(gameId)}/events/latest`, { limit }, signal);
}

/** The values of a dimension that occur in [from, to), most users first:
 * [{ value, users }]. A dimension the server does not list (400) answers [] (no suggestions). */
export async function dimensionValues(gameId, dimension, params, signal) {
  try {
    const res = await insights(`/games/${encodeURIComponent(gameId)}/dimensions/${encodeURIComponent(dimension)}/values`, params, signal);
    return (res && res.values) || [];
  } catch (err) {
    if (err.status === 400) return [];
    throw err;
  }
}

/** The URL of the session observability API of one project and environment (path below
 * .../sessions). */
export function observabilityUrl(projectId, environmentId, path, params) {
  const base = `/session-observability/v1/projects/${encodeURIComponent(projectId)}/environments/${encodeURIComponent(environmentId)}/sessions`;
  return `${base}${path}${queryString(params)}`;
}

/** GET of the session observability API, as the signed-in API token (any role reads). */
export function observability(projectId, environmentId, path, params, signal) {
  return getJson(observabilityUrl(projectId, environmentId, path, params), `Bearer ${credentials.apiToken() || ''}`, signal);
}
