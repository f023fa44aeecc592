// resources.js: the virtual economy: resource events' amounts (or counts) per flow (Source /
// Sink) and currency, item type or item id.

import { renderGrouped } from './grouped.js';

export function render(main, ctx) {
  renderGrouped(main, ctx, {
    id: 'resources', title: 'Resources', testid: 'resources',
    by: [['currency', 'Flow:Currency'], ['item_type', 'Flow:Currency:Item type'], ['item_id', 'Event id (item)']],
    measures: [['sum', 'Amount'], ['count', 'Events']],
    keyLabel: (by) => ({ currency: 'Flow:Currency', item_type: 'Flow:Currency:Item type', item_id: 'Resource event id' }[by]),
    kind: () => 'count',
  });
}
