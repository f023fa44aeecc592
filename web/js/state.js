// state.js: the dashboard's view state, kept in the URL's hash so that a reload, a bookmark or
// the back button shows the same view: #/<page>?game=1&range=7d&platform=windows&... Keys the
// shell does not know (a page's drill-down: the progression prefix, the design tree's open ids,
// the multiplayer session shown) are kept in state.extra. compare=1 adds the previous period
// of the same length; group=<dimension> splits the page's metrics by it.

export const DEFAULTS = {
  page: 'overview', game: '', range: '24h', from: '', to: '', interval: 'auto',
  platform: '', portal: '', dim: '', dimValue: '', compare: '', group: '',
};

/** The state of a hash (default: the current one). */
export function read(hash = location.hash) {
  const text = hash.replace(/^#\/?/, '');
  const q = text.indexOf('?');
  const page = (q < 0 ? text : text.slice(0, q)) || DEFAULTS.page;
  const params = new URLSearchParams(q < 0 ? '' : text.slice(q + 1));
  const state = { ...DEFAULTS, page, extra: {} };
  for (const [k, v] of params) {
    if (k in DEFAULTS && k !== 'page') state[k] = v;
    else state.extra[k] = v;
  }
  return state;
}

/** The hash of a state. */
export function toHash(state) {
  const params = new URLSearchParams();
  for (const k of Object.keys(DEFAULTS)) if (k !== 'page' && state[k] && state[k] !== DEFAULTS[k]) params.set(k, state[k]);
  for (const [k, v] of Object.entries(state.extra || {})) if (v !== '' && v !== undefined && v !== null) params.set(k, v);
  const q = params.toString();
  return `#/${state.page}${q ? `?${q}` : ''}`;
}

/**
 * Moves to the current state with patch applied (extra: replaces the page's own keys, which
 * are dropped when the page changes unless given). Triggers 'hashchange'.
 */
export function go(patch) {
  const cur = read();
  const next = { ...cur, ...patch };
  next.extra = patch.extra || (patch.page && patch.page !== cur.page ? {} : cur.extra);
  const hash = toHash(next);
  if (hash !== location.hash) location.hash = hash;
}

/** Writes patch into the URL like go(), without rendering again (no 'hashchange'): for state a
 * page already shows (a tree opened, a session picked), so that a reload shows it too. */
export function replace(patch) {
  const cur = read();
  const next = { ...cur, ...patch, extra: patch.extra || cur.extra };
  const hash = toHash(next);
  if (hash !== location.hash) history.replaceState(null, '', hash);
}
