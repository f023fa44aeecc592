// dom.js: the one way the dashboard builds DOM: h(tag, attrs, ...children). Text goes in as
// text nodes (never innerHTML), so nothing the server or a user sends can become markup; styles
// go through the CSSOM (attrs.style as an object), which the page's Content-Security-Policy
// allows where style attributes would not be.

/**
 * Creates an element. attrs: class (string), style (object of CSS properties), dataset
 * (object), on<Event> (listener functions, e.g. onclick), any other attribute (set when not
 * null/false). children: nodes, strings, numbers, arrays of them; null/false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'style') Object.assign(el.style, v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** Appends children (nodes, strings, numbers, nested arrays; null/false skipped). */
export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces every child of el with children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}
