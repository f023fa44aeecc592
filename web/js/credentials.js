// credentials.js: what the dashboard keeps of the person signed in, in sessionStorage only
// (gone when the tab closes, never sent anywhere but this server): the API token. It is the one
// credential of every page: the insights read API and the session observability reads both
// take it (docs/http-api.md).

const TOKEN = 'playstat.apiToken';

export function apiToken() { return sessionStorage.getItem(TOKEN); }
export function setApiToken(token) { sessionStorage.setItem(TOKEN, token); }

/** Forgets everything (sign out). */
export function clearAll() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem('playstat.serviceAccount'); // kept by dashboards before one sign-in
}
