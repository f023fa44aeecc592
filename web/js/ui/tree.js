// tree.js: a table whose rows open into the rows one level below them (drill-down trees such
// as design event ids "Tutorial:Step1:Skip"). Children load on first opening; a node whose
// level below is empty becomes a leaf. Export CSV saves the rows shown, with their full ids.

import { h, replace } from '../dom.js';
import { byKind } from '../format.js';
import { toCsv, download } from '../csv.js';

/**
 * opts: { columns: [{ key, label, kind }] (after the id column), roots: [rows with .key],
 * loadChildren(key) -> Promise<rows>, csv, testid, idLabel, open (keys to open at once, e.g.
 * from the URL: parents before children), onOpen(keys) (called with the keys open after each
 * toggle, to keep them in the URL) }
 */
export function treeTable({ columns, roots, loadChildren, csv, testid, idLabel = 'Id', open = [], onOpen }) {
  const nodes = new Map(); // key -> { row, depth, children, open, loading, error }
  const add = (rows, depth) => rows.map((row) => {
    nodes.set(row.key, { row, depth, children: null, open: false, loading: false, error: null });
    return row.key;
  });
  const top = add(roots, 0);
  const tbody = h('tbody');

  const visible = () => {
    const out = [];
    const walk = (keys) => keys.forEach((k) => {
      out.push(k);
      const n = nodes.get(k);
      if (n.open && n.children) walk(n.children);
    });
    walk(top);
    return out;
  };

  const toggle = async (key) => {
    const n = nodes.get(key);
    n.open = !n.open;
    if (n.open && !n.children && !n.loading) {
      n.loading = true;
      n.error = null;
      draw();
      try {
        n.children = add(await loadChildren(key), n.depth + 1);
      } catch (err) {
        if (err.name === 'AbortError') return;
        n.error = err.message;
        n.open = false;
      }
      n.loading = false;
    }
    draw();
    if (onOpen) onOpen([...nodes].filter(([, n]) => n.open).map(([k]) => k));
  };

  function draw() {
    replace(tbody, visible().map((key) => {
      const n = nodes.get(key);
      const leaf = n.children && n.children.length === 0;
      const label = key.split(':').pop();
      const toggleButton = leaf ? h('span', { class: 'tree-leaf', 'aria-hidden': 'true' }, '•')
        : h('button', { type: 'button', class: 'tree-toggle', 'aria-expanded': String(n.open), 'aria-label': `${n.open ? 'Close' : 'Open'} ${key}`, onclick: () => toggle(key) }, n.open ? '▾' : '▸');
      return h('tr', { 'data-key': key, 'data-depth': String(n.depth) },
        h('td', { class: 'tree-id' }, h('span', { class: 'tree-indent', style: { paddingLeft: `${n.depth * 1.25}rem` } }, toggleButton, ' ', h('span', { title: key }, label),
          n.loading ? h('span', { class: 'state-note' }, ' loading…') : null,
          n.error ? h('span', { class: 'state-note error-text' }, ` ${n.error}`) : null)),
        columns.map((c) => {
          const v = n.row[c.key];
          return h('td', { class: 'num', 'data-key': c.key, 'data-value': v === null || v === undefined ? null : String(v) }, v === null || v === undefined ? '' : byKind(c.kind, v));
        }));
    }));
  }
  draw();
  // reopen what the URL names, parents first (each waits for the rows it opens into)
  (async () => {
    for (const key of open) {
      const n = nodes.get(key);
      if (n && !n.open) await toggle(key);
    }
  })();

  const exportCsv = () => download(`${csv || 'tree'}.csv`, toCsv([idLabel, ...columns.map((c) => c.label)],
    visible().map((k) => [k, ...columns.map((c) => nodes.get(k).row[c.key])])));
  return h('div', { class: 'table-wrap', 'data-testid': testid },
    h('div', { class: 'table-tools' }, h('span', { class: 'table-caption' }, 'Open an id to see the ids below it.'),
      h('button', { type: 'button', class: 'button small', onclick: exportCsv }, 'Export CSV')),
    h('div', { class: 'table-scroll' }, h('table', { class: 'tree' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, idLabel), columns.map((c) => h('th', { scope: 'col', class: 'num' }, c.label)))),
      tbody)));
}
