// panel.js: the card every figure of the dashboard sits in, and its states. A panel is
// 'loading' (a placeholder), 'ready' (its content), 'empty' (what to send to fill it, or that
// the filters matched nothing), 'unavailable' (the server does not answer this question: its
// 400 message) or 'error' (the server's message and a retry button); the state is also its data-state
// attribute, and data-src names the API URL(s) its figures come from (for tests and for
// people who want the raw numbers).

import { h, replace } from '../dom.js';

export class Panel {
  /** opts: { title, wide (full row), tile (a quarter row: one figure), testid, actions (nodes
   * for the header) } */
  constructor({ title, wide = false, tile = false, testid, actions = [] }) {
    this.body = h('div', { class: 'panel-body' });
    this.actions = h('div', { class: 'panel-actions' }, actions);
    this.el = h('section', { class: `panel${wide ? ' wide' : ''}${tile ? ' tile' : ''}`, 'data-testid': testid, 'aria-busy': 'true' },
      h('header', { class: 'panel-head' }, h('h2', {}, title), this.actions),
      this.body);
    this.loading();
  }

  set(state, ...children) {
    this.el.dataset.state = state;
    this.el.setAttribute('aria-busy', String(state === 'loading'));
    replace(this.body, ...children);
    return this.body;
  }

  /** Records where the figures come from (one URL or several). */
  source(urls) { this.el.dataset.src = [urls].flat().join(' '); }

  loading() { return this.set('loading', h('div', { class: 'state loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading…')); }

  /** The empty state: what to send; note says why (e.g. the server does not know the metric). */
  empty(hint, note) {
    return this.set('empty', h('div', { class: 'state empty' },
      h('p', { class: 'state-title' }, 'Nothing to show yet'),
      h('p', {}, hint),
      note ? h('p', { class: 'state-note' }, note) : null));
  }

  /** The empty state of a filtered view: data exists, but none matches filters (words). */
  filtered(filters) {
    return this.set('empty', h('div', { class: 'state empty', 'data-filtered': 'true' },
      h('p', { class: 'state-title' }, 'The filter matched nothing'),
      h('p', {}, `Nothing in this range has ${filters}. Clear or change the filter to see more.`)));
  }

  /** The server does not answer what this panel asks (a 400): its words, calmly. */
  unavailable(message) {
    return this.set('unavailable', h('div', { class: 'state empty' },
      h('p', { class: 'state-title' }, 'Not available on this server'),
      h('p', {}, message)));
  }

  error(message, retry) {
    return this.set('error', h('div', { class: 'state error', role: 'alert' },
      h('p', { class: 'state-title' }, 'Could not load this'),
      h('p', {}, message),
      retry ? h('button', { type: 'button', class: 'button', onclick: retry }, 'Retry') : null));
  }

  /** Shows the content (nodes) and marks the panel ready. */
  ready(...children) { return this.set('ready', ...children); }
}

/** A grid of panels. */
export function grid(...panels) {
  return h('div', { class: 'grid' }, panels.map((p) => (p instanceof Panel ? p.el : p)));
}
