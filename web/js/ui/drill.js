// drill.js: the breadcrumb of a hierarchy of ids ("World1:Level1:Boss"): "All › World1 ›
// World1:Level1", each step a button that goes back up to it.

import { h } from '../dom.js';

/** prefix: the current level ('' = top); onGo(prefix) moves to a level. */
export function breadcrumb(prefix, onGo) {
  const parts = prefix ? prefix.split(':') : [];
  const steps = [['All', '']];
  parts.forEach((p, i) => steps.push([p, parts.slice(0, i + 1).join(':')]));
  return h('nav', { class: 'breadcrumb', 'aria-label': 'Level' }, steps.map(([label, to], i) => [
    i ? h('span', { class: 'sep', 'aria-hidden': 'true' }, '›') : null,
    i === steps.length - 1 ? h('span', { 'aria-current': 'location' }, label)
      : h('button', { type: 'button', class: 'link', onclick: () => onGo(to) }, label),
  ]));
}

/** Natural order of ids (Level2 before Level10). */
export function natural(a, b) {
  return a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });
}
