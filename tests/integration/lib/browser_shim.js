'use strict';
// A minimal browser environment for running the official GameAnalytics JavaScript SDK
// (npm `gameanalytics`, dist/GameAnalytics.node.js) in plain Node.
//
// What the SDK touches, and what this shim gives it:
// - `navigator` (read once when the module loads): userAgent / platform / appVersion / vendor
//   decide the SDK's `platform`, `os_version` and `browser_version` annotations; `onLine`
//   decides `connection_type`. We impersonate Chrome 120 on Windows 10, so the SDK sends
//   platform "windows", os_version "windows 10.0", browser_version "chrome 120",
//   connection_type "lan" (all valid for the collector's schema).
// - `window.addEventListener("beforeunload", ...)` (called when the module loads). We keep the
//   listeners so a test could fire `beforeunload` (the SDK ends its session there).
// - `XMLHttpRequest`: the SDK uses only open(method, url, async), setRequestHeader(name, value),
//   send(body), onreadystatechange, readyState, status, statusText and responseText. Our class
//   performs the request with node:http (one fresh connection per request, no keep-alive),
//   then sets status/statusText/responseText and readyState 4 and calls onreadystatechange,
//   exactly once, asynchronously. A connection error is reported like a browser does: status 0
//   and an empty responseText (the SDK treats an empty body as "no response" and retries).
//   Every request and its answer are also recorded in `traffic` so a test can see what the SDK
//   really sent (endpoints, headers, bodies, resends).
// - `crypto.getRandomValues` (used for event_uuid / session ids): Node >= 19 has a global
//   `crypto`; on Node 18 we install `require('node:crypto').webcrypto`.
// - `localStorage`: made `undefined`, so the SDK keeps its queue in memory only (newer Node
//   versions define an experimental global localStorage, which would make runs depend on the
//   Node version).

const http = require('node:http');
const https = require('node:https'); // for https:// base URLs (tls.test.js)
const nodeCrypto = require('node:crypto');

const traffic = [];          // one entry per request the SDK made
const httpsOptions = {};     // merged into https requests (tls.test.js puts its CA here)
let pendingRequests = 0;     // requests sent and not yet answered
let nextId = 1;
const windowListeners = {};

const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) '
  + 'Chrome/120.0.0.0 Safari/537.36';

class XMLHttpRequest {
  constructor() {
    this.readyState = 0;
    this.status = 0;
    this.statusText = '';
    this.responseText = '';
    this.onreadystatechange = null;
    this._headers = {};
    this._method = 'GET';
    this._url = null;
    this._sent = false;
  }

  open(method, url /* , async: the SDK always passes true */) {
    this._method = method;
    this._url = new URL(url);
    this.readyState = 1;
  }

  setRequestHeader(name, value) {
    this._headers[name] = value;
  }

  send(body) {
    if (this._sent) throw new Error('XMLHttpRequest: send() called twice');
    this._sent = true;
    const payload = body == null ? null : Buffer.from(String(body), 'utf8');
    const entry = {
      id: nextId++,
      method: this._method,
      url: this._url.href,
      path: this._url.pathname,
      query: Object.fromEntries(this._url.searchParams),
      headers: { ...this._headers },
      body: payload ? payload.toString('utf8') : '',
      sentAt: Date.now(),
      status: undefined,
      responseText: undefined,
      responseHeaders: undefined,
      error: undefined,
      callbackError: undefined,
    };
    traffic.push(entry);
    pendingRequests++;

    const headers = { ...this._headers };
    if (payload) headers['Content-Length'] = payload.length;
    let finished = false;
    const finish = (status, statusText, text, resHeaders, err) => {
      if (finished) return;
      finished = true;
      pendingRequests--;
      entry.status = status;
      entry.responseText = text;
      entry.responseHeaders = resHeaders;
      entry.error = err ? `${err.code || ''} ${err.message}` : undefined;
      entry.answeredAt = Date.now();
      this.status = status;
      this.statusText = statusText;
      this.responseText = text;
      this.readyState = 4;
      if (typeof this.onreadystatechange === 'function') {
        // The SDK's callbacks JSON.parse the body without a try: if the server ever answers
        // something that is not JSON, record the exception instead of crashing the test process.
        try {
          this.onreadystatechange();
        } catch (e) {
          entry.callbackError = e.stack || String(e);
        }
      }
    };
    const tls = this._url.protocol === 'https:';
    const req = (tls ? https : http).request({
      host: this._url.hostname,
      port: this._url.port || (tls ? 443 : 80),
      method: this._method,
      path: this._url.pathname + this._url.search,
      headers,
      agent: false,
      ...(tls ? httpsOptions : {}),
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (e) => finish(0, '', '', undefined, e));
      res.on('end', () => finish(res.statusCode, res.statusMessage || '',
        Buffer.concat(chunks).toString('utf8'), res.headers));
    });
    req.setTimeout(60000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => finish(0, '', '', undefined, e));
    if (payload) req.write(payload);
    req.end();
  }
}

function defineGlobal(name, value) {
  Object.defineProperty(globalThis, name, { value, configurable: true, writable: true, enumerable: false });
}

/** Installs window, navigator, XMLHttpRequest (and crypto on Node 18) as globals. */
function installBrowserGlobals() {
  defineGlobal('window', {
    addEventListener(type, fn) { (windowListeners[type] = windowListeners[type] || []).push(fn); },
    removeEventListener(type, fn) {
      windowListeners[type] = (windowListeners[type] || []).filter((f) => f !== fn);
    },
  });
  defineGlobal('navigator', {
    userAgent: USER_AGENT,
    appVersion: USER_AGENT.replace(/^Mozilla\//, ''),
    appName: 'Netscape',
    platform: 'Win32',
    vendor: 'Google Inc.',
    onLine: true,
  });
  defineGlobal('XMLHttpRequest', XMLHttpRequest);
  defineGlobal('localStorage', undefined);
  if (!globalThis.crypto || typeof globalThis.crypto.getRandomValues !== 'function') {
    defineGlobal('crypto', nodeCrypto.webcrypto);
  }
}

/** Calls the listeners the SDK registered on window for `type` (e.g. "beforeunload"). */
function fireWindowEvent(type) {
  for (const fn of windowListeners[type] || []) fn({ type });
}

module.exports = {
  XMLHttpRequest, installBrowserGlobals, fireWindowEvent, traffic,
  pending: () => pendingRequests, USER_AGENT, httpsOptions,
};
