// credentials.js: what the dashboard keeps of the people signed in, in sessionStorage only
// (gone when the tab closes, never sent anywhere but this server): the insights API token and,
// for the session observability browser, a viewer service account's key id and secret.

const TOKEN = 'playstat.apiToken';
const SERVICE = 'playstat.serviceAccount';

export function apiToken() { return sessionStorage.getItem(TOKEN); }
export function setApiToken(token) { sessionStorage.setItem(TOKEN, token); }

/** Forgets everything (sign out). */
export function clearAll() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(SERVICE);
}

/** { keyId, secret } or null. */
export function serviceAccount() {
  try {
    const v = JSON.parse(sessionStorage.getItem(SERVICE) || 'null');
    return v && v.keyId && v.secret ? v : null;
  } catch (_) {
    return null;
  }
}

export function setServiceAccount(keyId, secret) {
  sessionStorage.setItem(SERVICE, JSON.stringify({ keyId, secret }));
}

export function clearServiceAccount() { sessionStorage.removeItem(SERVICE); }
