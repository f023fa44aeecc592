// choice.js: a small labelled select for a page's own options (group by, measure), written
// to the page's keys in the URL's hash.

import { h } from '../dom.js';

/** options: [[value, text]]; onChange(value). */
export function choice(label, value, options, onChange, testid) {
  return h('label', { class: 'field inline' }, h('span', {}, label),
    h('select', { 'data-testid': testid, onchange: (e) => onChange(e.target.value) },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

/** The value of a page key from extra, or the first option's when missing or unknown. */
export function pick(extra, key, options) {
  return options.some(([v]) => v === extra[key]) ? extra[key] : options[0][0];
}
