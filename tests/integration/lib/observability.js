'use strict';
// Helpers of the session observability tests (Unity Matchmaker compatible, PROTOCOLS.md §3):
// service accounts from the CLI, a client for the events / session / search endpoints with
// HTTP Basic credentials. Node >= 18 built-ins only.

const http = require('node:http');

const ps = require('./playstat');

/** `playstat service-account create`: { key_id, secret, project_id, role }. */
async function createServiceAccount(dataDir, projectId, role) {
  const { stdout } = await ps.runCli(['service-account', 'create', '--data', dataDir, '--project', projectId, '--role', role]);
  return JSON.parse(stdout);
}

function basic(account) {
  return `Basic ${Buffer.from(`${account.key_id}:${account.secret}`).toString('base64')}`;
}

/** The API of one project and environment, as one service account (or none). */
class SoClient {
  constructor({ port, projectId, environmentId = 'production', account = null, agent = null }) {
    Object.assign(this, { port, projectId, environmentId, account });
    this.agent = agent || new http.Agent({ keepAlive: true, maxSockets: 32 });
  }

  base() {
    return `/session-observability/v1/projects/${encodeURIComponent(this.projectId)}/environments/${encodeURIComponent(this.environmentId)}/sessions`;
  }

  headers(extra = {}) {
    return { ...(this.account ? { Authorization: basic(this.account) } : {}), ...extra };
  }

  /** POSTs events (an object or an array) for sessionId. */
  post(sessionId, events, { contentType = 'application/json', raw = null } = {}) {
    return ps.request(this.port, {
      method: 'POST', path: `${this.base()}/${encodeURIComponent(sessionId)}/events`,
      headers: this.headers({ 'Content-Type': contentType }), body: raw != null ? raw : JSON.stringify(events), agent: this.agent,
    });
  }

  get(sessionId) {
    return ps.request(this.port, { path: `${this.base()}/${encodeURIComponent(sessionId)}`, headers: this.headers(), agent: this.agent });
  }

  /** One page of a search; params: filters, limit, next. */
  search(params = {}) {
    const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null)).toString();
    return ps.request(this.port, { path: `${this.base()}${q ? `?${q}` : ''}`, headers: this.headers(), agent: this.agent });
  }

  /** Every page of a search: the documents in order, and the number of pages. */
  async searchAll(params = {}, { limit = 200 } = {}) {
    const results = [];
    let next = null;
    let pages = 0;
    do {
      const res = await this.search({ ...params, limit, next: next || undefined });
      if (res.status !== 200) throw new Error(`search ${JSON.stringify(params)}: ${res.status} ${res.text}`);
      results.push(...res.json.results);
      next = res.json.next;
      pages += 1;
      if (pages > 10000) throw new Error('search does not end');
    } while (next);
    return { results, pages };
  }
}

module.exports = { createServiceAccount, basic, SoClient };
